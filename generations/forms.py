"""The customise form: built from a template's slots, so every template gets its own fields."""

import uuid

from django import forms
from django.conf import settings

from generations.models import Asset, AssetKind, AssetStatus, VariationKind
from generations.services.generation import OUTPUT_FORMATS, GenerationRequest, background_slot
from templates_app.spec import FORMAT_KEYS, FORMATS, ordered_slot_names
from templates_app.spec.values import HEX_COLOR

FORMAT_USES = {"1:1": "Feed", "4:5": "Feed, portrait", "9:16": "Stories and Reels", "16:9": "Video and right column"}
FORMAT_LABELS = {key: f"{key} · {FORMATS[key].width}×{FORMATS[key].height} · {FORMAT_USES[key]}" for key in FORMAT_KEYS}
OUTPUT_LABELS = {"png": "PNG (sharpest, larger)", "jpeg": "JPEG (smallest)", "webp": "WebP"}


def resolve_colour(value: str, brand_colors: dict[str, str]) -> str:
    """A slot default as a picker shows it: brand tokens become the brand kit's colour."""
    if value.startswith("brand."):
        value = brand_colors.get(value.removeprefix("brand."), "#000000")
    return value[:7].upper() if HEX_COLOR.match(value or "") else "#000000"


class CustomiseForm(forms.Form):
    formats = forms.MultipleChoiceField(
        label="Formats",
        choices=[(key, FORMAT_LABELS[key]) for key in FORMAT_KEYS],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one format."},
    )
    count = forms.IntegerField(label="Versions", min_value=1, initial=1)
    output_format = forms.ChoiceField(label="File type", choices=list(OUTPUT_LABELS.items()), initial="png")
    quality = forms.IntegerField(label="Quality", min_value=50, max_value=100, initial=90)
    ai_copy = forms.BooleanField(label="Write the copy with AI in my brand's voice", required=False)
    ai_background = forms.BooleanField(label="Generate the background with AI", required=False)
    ai_prompt = forms.CharField(
        label="Describe the background",
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "e.g. soft morning light over a wooden table"}),
    )
    request_key = forms.CharField(widget=forms.HiddenInput, required=False)
    preview_format = forms.ChoiceField(
        label="Preview",
        choices=[(key, key) for key in FORMAT_KEYS],
        required=False,
        initial="1:1",
        widget=forms.Select(attrs={"class": "form-select form-select-sm w-auto"}),
    )

    def __init__(self, *args, template, spec: dict, user, brand_colors: dict[str, str], features: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.template = template
        self.spec = spec
        self.features = features
        self.fields["count"].widget.attrs["max"] = settings.GENERATION_MAX_VARIATIONS
        self.fields["formats"].initial = list(FORMAT_KEYS)
        self.fields["request_key"].initial = uuid.uuid4().hex
        self.text_fields, self.image_fields, self.color_fields = [], [], []
        # Image slots for the user's product photo: the page asks for them first (issue 12, item 4).
        self.product_image_fields: list[tuple[str, str]] = []
        user_images = Asset.objects.filter(
            user=user, status=AssetStatus.ACTIVE, kind__in=[AssetKind.UPLOAD, AssetKind.OPERATION, AssetKind.AI_IMAGE]
        ).exclude(file_format="svg")
        for name in ordered_slot_names(spec):
            slot = spec["slots"][name]
            label = slot.get("label", name)
            if slot["type"] == "text":
                limit = slot.get("max_chars", 100)
                widget = forms.Textarea(attrs={"rows": 2}) if limit > 60 else forms.TextInput()
                # No maxlength: pasted text is never cut silently; the counter warns and the form refuses.
                widget.attrs.update({"data-char-limit": limit, "data-char-counter": "always"})
                required = slot.get("required", True)
                field = forms.CharField(
                    label=label,
                    # A required text left blank is refused (never the template's sample copy); an
                    # optional one left blank is left out of the ad.
                    required=required,
                    max_length=limit,
                    initial=slot.get("default", ""),
                    help_text=slot.get("help") or f"Up to {limit} characters.",
                    widget=widget,
                    error_messages={
                        "max_length": f"{label} is too long: at most {limit} characters.",
                        "required": f"{label} is required: write it, or pick a template without it.",
                    },
                )
                self.fields[f"text_{name}"] = field
                self.text_fields.append(f"text_{name}")
            elif slot["type"] == "image":
                role = slot.get("role", "other")
                help_text = slot.get("help") or ""
                if role == "logo":
                    help_text = help_text or "Leave empty to use your brand kit's logo."
                elif role == "background" and name == background_slot(spec):
                    help_text = help_text or "Upload a photo, pick one of yours, or let AI make one below."
                self.fields[f"image_{name}"] = forms.ImageField(
                    label=label,
                    required=False,
                    help_text=help_text,
                    widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
                )
                self.fields[f"image_{name}_asset"] = forms.ModelChoiceField(
                    label="…or one of your images",
                    queryset=user_images,
                    required=False,
                    empty_label="(none)",
                )
                self.image_fields.append((f"image_{name}", f"image_{name}_asset"))
                if role == "product":
                    self.product_image_fields.append((f"image_{name}", f"image_{name}_asset"))
            elif slot["type"] == "color":
                self.fields[f"color_{name}"] = forms.CharField(
                    label=label,
                    required=False,
                    initial=resolve_colour(slot.get("default", "brand.accent"), brand_colors),
                    widget=forms.TextInput(attrs={"type": "color"}),
                )
                self.color_fields.append(f"color_{name}")
        if not background_slot(spec):
            del self.fields["ai_background"], self.fields["ai_prompt"]
        elif not features["ai_image"].available:
            self.fields["ai_background"].disabled = True
        if not features["ai_copy"].available:
            self.fields["ai_copy"].disabled = True

    @property
    def text_bound(self):
        return [self[name] for name in self.text_fields]

    @property
    def image_bound(self):
        """The image slots other than the product photo (which `product_image_bound` asks for first)."""
        return [
            (self[upload], self[picked])
            for upload, picked in self.image_fields
            if (upload, picked) not in self.product_image_fields
        ]

    @property
    def product_image_bound(self):
        return [(self[upload], self[picked]) for upload, picked in self.product_image_fields]

    @property
    def color_bound(self):
        return [self[name] for name in self.color_fields]

    def clean_count(self):
        count = self.cleaned_data["count"]
        if count > settings.GENERATION_MAX_VARIATIONS:
            raise forms.ValidationError(f"At most {settings.GENERATION_MAX_VARIATIONS} versions at once.")
        return count

    def clean(self):
        data = super().clean()
        for field_name in self.color_fields:
            value = data.get(field_name) or ""
            if value and not HEX_COLOR.match(value):
                self.add_error(field_name, "Use a colour like #1E2A78.")
        return data

    def to_request(self) -> GenerationRequest:
        data = self.cleaned_data
        texts = {name.removeprefix("text_"): data.get(name) or "" for name in self.text_fields}
        colors = {name.removeprefix("color_"): data.get(name) or "" for name in self.color_fields}
        uploads, picked = {}, {}
        for upload_field, asset_field in self.image_fields:
            slot = upload_field.removeprefix("image_")
            if data.get(upload_field):
                uploads[slot] = data[upload_field]
            elif data.get(asset_field):
                picked[slot] = str(data[asset_field].pk)
        return GenerationRequest(
            template_id=self.template.pk,
            formats=list(data.get("formats") or []),
            texts=texts,
            colors=colors,
            image_asset_ids=picked,
            image_uploads=uploads,
            count=data.get("count") or 1,
            ai_copy=bool(data.get("ai_copy")),
            ai_background=bool(data.get("ai_background")),
            ai_prompt=data.get("ai_prompt") or "",
            output_format=data.get("output_format") or "png",
            quality=data.get("quality") or 90,
            request_key=data.get("request_key") or None,
        )


class VariationForm(forms.Form):
    kind = forms.ChoiceField(choices=VariationKind.choices, widget=forms.RadioSelect, initial=VariationKind.PALETTE)
    request_key = forms.CharField(widget=forms.HiddenInput, required=False)


__all__ = ["FORMAT_USES", "OUTPUT_FORMATS", "CustomiseForm", "VariationForm"]
