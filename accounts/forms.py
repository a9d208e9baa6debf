import re
import zoneinfo

from django import forms

from accounts.constants import (
    BRAND_FONTS,
    DEFAULT_NOTIFICATIONS,
    DEFAULT_PALETTE,
    NOTIFICATION_LABELS,
    PALETTE_KEYS,
    ContentFilterLevel,
    Theme,
    VoiceTone,
)
from accounts.models import ApiKeyAccess, ApiKeyGroup, BrandProfile, BusinessProfile, User, UserPreference
from craftplatform.images import ImageRejected, clean_uploaded_image

HEX_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
IMAGE_ACCEPT = "image/png,image/jpeg,image/webp"


class ImageUploadField(forms.FileField):
    """A file field whose clean() checks the content and returns a re-encoded CleanImage."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if not upload or upload is initial:
            return None
        try:
            return clean_uploaded_image(upload)
        except ImageRejected as exc:
            raise forms.ValidationError(str(exc), code="invalid_image") from exc


class ProfileForm(forms.Form):
    first_name = forms.CharField(max_length=100, required=False)
    last_name = forms.CharField(max_length=100, required=False)
    avatar = ImageUploadField(
        label="Profile picture",
        help_text="PNG, JPEG or WebP, up to 10 MB.",
        widget=forms.FileInput(attrs={"accept": IMAGE_ACCEPT}),
    )
    remove_avatar = forms.BooleanField(required=False, label="Remove my profile picture")


def _timezone_choices() -> list[tuple[str, str]]:
    return [
        (name, name.replace("_", " "))
        for name in sorted(zoneinfo.available_timezones())
        if "/" in name or name == "UTC"
    ]


class PreferencesForm(forms.Form):
    timezone = forms.ChoiceField(label="Time zone", choices=_timezone_choices)
    theme = forms.ChoiceField(label="Appearance", choices=Theme.choices)
    content_filter_level = forms.ChoiceField(
        label="AI content filter",
        choices=ContentFilterLevel.choices,
        help_text="How strictly AI providers filter generated images and copy.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in NOTIFICATION_LABELS.items():
            self.fields[f"notify_{key}"] = forms.BooleanField(label=label, required=False)

    @classmethod
    def initial_for(cls, prefs: UserPreference) -> dict:
        initial = {
            "timezone": prefs.timezone,
            "theme": (prefs.ui_preferences or {}).get("theme", Theme.AUTO),
            "content_filter_level": prefs.content_filter_level,
        }
        for key in DEFAULT_NOTIFICATIONS:
            initial[f"notify_{key}"] = prefs.notification(key)
        return initial

    def notifications(self) -> dict[str, bool]:
        return {key: self.cleaned_data.get(f"notify_{key}", False) for key in DEFAULT_NOTIFICATIONS}


class ColourInput(forms.TextInput):
    input_type = "color"


class BrandKitForm(forms.Form):
    name = forms.CharField(label="Brand name", max_length=255, required=False)
    website_url = forms.URLField(label="Website", max_length=500, required=False, assume_scheme="https")
    logo = ImageUploadField(
        label="Upload a logo",
        help_text="PNG with a transparent background works best. PNG, JPEG or WebP, up to 10 MB.",
        widget=forms.FileInput(attrs={"accept": IMAGE_ACCEPT}),
    )
    remove_logo = forms.BooleanField(required=False, label="Remove the current logo")
    heading_font = forms.ChoiceField(label="Heading font", choices=BRAND_FONTS)
    body_font = forms.ChoiceField(label="Body font", choices=BRAND_FONTS)
    tone = forms.ChoiceField(label="Tone of voice", choices=[("", "Not set"), *VoiceTone.choices], required=False)
    personality = forms.CharField(
        label="Brand personality",
        max_length=200,
        required=False,
        help_text="A few words, for example: trustworthy, warm, expert.",
    )
    tagline = forms.CharField(label="Tagline", max_length=120, required=False)
    key_phrases = forms.CharField(
        label="Key phrases",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line. AI copy variants reuse them.",
    )

    def __init__(self, *args, font_choices=None, **kwargs):
        # font_choices: the families this user may pick (accounts.brand_fonts.font_choice_groups_for),
        # the bundled ones when not given.
        super().__init__(*args, **kwargs)
        if font_choices is not None:
            self.fields["heading_font"].choices = font_choices
            self.fields["body_font"].choices = font_choices
        for key in PALETTE_KEYS:
            self.fields[f"colour_{key}"] = forms.CharField(
                label=key.capitalize(), max_length=7, widget=ColourInput(), initial=DEFAULT_PALETTE[key]
            )

    @classmethod
    def initial_for(cls, brand: BrandProfile) -> dict:
        voice = brand.brand_voice or {}
        messaging = brand.messaging_patterns or {}
        typography = brand.typography or {}
        initial = {
            "name": brand.name,
            "website_url": brand.website_url,
            "heading_font": typography.get("heading_font", "Inter"),
            "body_font": typography.get("body_font", "Inter"),
            "tone": voice.get("tone", ""),
            "personality": voice.get("personality", ""),
            "tagline": messaging.get("tagline", ""),
            "key_phrases": "\n".join(messaging.get("key_phrases", [])),
        }
        for key in PALETTE_KEYS:
            initial[f"colour_{key}"] = brand.colour(key)
        return initial

    def clean(self):
        cleaned = super().clean()
        for key in PALETTE_KEYS:
            value = cleaned.get(f"colour_{key}")
            if value and not HEX_COLOUR.match(value):
                self.add_error(f"colour_{key}", "Use a colour like #1A2B3C.")
        if cleaned.get("logo") and cleaned.get("remove_logo"):
            self.add_error("remove_logo", "Either upload a new logo or remove the current one, not both.")
        phrases = [line.strip() for line in (cleaned.get("key_phrases") or "").splitlines() if line.strip()]
        if len(phrases) > 20:
            self.add_error("key_phrases", "Keep it to 20 phrases at most.")
        if any(len(p) > 120 for p in phrases):
            self.add_error("key_phrases", "Each phrase can be at most 120 characters.")
        cleaned["key_phrases_list"] = phrases
        return cleaned

    def service_values(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "website_url": data["website_url"],
            "palette": {key: data[f"colour_{key}"] for key in PALETTE_KEYS},
            "typography": {"heading_font": data["heading_font"], "body_font": data["body_font"]},
            "voice": {"tone": data["tone"], "personality": data["personality"].strip()},
            "messaging": {"tagline": data["tagline"].strip(), "key_phrases": data["key_phrases_list"]},
        }


class BusinessProfileForm(forms.ModelForm):
    website_url = forms.URLField(label="Website", max_length=500, required=False, assume_scheme="https")

    class Meta:
        model = BusinessProfile
        fields = list(BusinessProfile.EDITABLE_FIELDS)
        labels = {
            "business_address": "Address",
            "target_audience_description": "Who are your customers?",
            "monthly_budget_range": "Monthly ad budget",
        }
        widgets = {
            "business_address": forms.Textarea(attrs={"rows": 2}),
            "target_audience_description": forms.Textarea(attrs={"rows": 3}),
        }


class ApiKeyForm(forms.Form):
    name = forms.CharField(label="Key name", max_length=100, help_text="For example: Zapier, reporting script.")
    access = forms.ChoiceField(
        label="Access",
        choices=ApiKeyAccess.choices,
        initial=ApiKeyAccess.READ_WRITE,
        widget=forms.RadioSelect,
        required=False,
        help_text="A read-only key can look but never create, change, buy or spend.",
    )
    groups = forms.MultipleChoiceField(
        label="Limit to",
        choices=ApiKeyGroup.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked for every operation.",
    )

    def clean_access(self):
        # Not chosen (an older form, a script): read and write, as keys were before scopes.
        return self.cleaned_data.get("access") or ApiKeyAccess.READ_WRITE


class DeleteAccountForm(forms.Form):
    confirm_email = forms.CharField(label="Type your email address to confirm", max_length=255)
    password = forms.CharField(label="Your password", widget=forms.PasswordInput, required=False, strip=False)

    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        if user.has_usable_password():
            self.fields["password"].required = True
        else:
            del self.fields["password"]

    def clean_confirm_email(self):
        value = self.cleaned_data["confirm_email"].strip().lower()
        if value != self.user.email.lower():
            raise forms.ValidationError("This is not the email address of your account.")
        return value

    def clean_password(self):
        password = self.cleaned_data.get("password", "")
        if not self.user.check_password(password):
            raise forms.ValidationError("The password is not correct.")
        return password
