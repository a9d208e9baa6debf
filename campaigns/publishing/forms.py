"""The wizard's forms: parse what the user typed; the rules live in the services (rules.py)."""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.utils import timezone

from campaigns.publishing import rules
from campaigns.publishing.models import BudgetLevel, BudgetType, Objective, SpecialAdCategory

INTEREST_TOKEN = re.compile(r"^(\d{1,20})\|(.{1,120})$")


def in_zone(value: datetime | None, tz_name: str) -> datetime | None:
    """A date and time typed in the ad account's time zone."""
    if value is None:
        return None
    naive = timezone.make_naive(value) if timezone.is_aware(value) else value
    return timezone.make_aware(naive, zoneinfo.ZoneInfo(tz_name or "UTC"))


class NewCampaignForm(forms.Form):
    name = forms.CharField(max_length=200, label="Campaign name")


class GoalForm(forms.Form):
    name = forms.CharField(max_length=200, label="Campaign name")
    objective = forms.ChoiceField(choices=Objective.choices, label="Goal", widget=forms.RadioSelect)
    special_ad_categories = forms.MultipleChoiceField(
        choices=SpecialAdCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Is this ad about any of these?",
        help_text="Meta requires it. Credit, employment and housing ads must reach all adults (ages 18–65+, any "
        "gender, at least 25 km around a city).",
    )
    ad_account = forms.ChoiceField(label="Ad account", required=False)
    page = forms.ChoiceField(label="Facebook Page", required=False)

    def __init__(self, *args, connection=None, **kwargs):
        super().__init__(*args, **kwargs)
        accounts = list(connection.ad_accounts.all()) if connection else []
        pages = list(connection.pages.all()) if connection else []
        self.accounts = {str(a.pk): a for a in accounts}
        self.pages = {str(p.pk): p for p in pages}
        self.fields["ad_account"].choices = [("", "— choose —")] + [
            (str(a.pk), f"{a.name} ({a.currency}, {a.timezone_name})")
            for a in accounts
            if a.selected or len(accounts) == 1
        ] or [("", "Connect Meta to choose")]
        self.fields["page"].choices = [("", "— choose —")] + [(str(p.pk), p.name) for p in pages]

    def clean(self):
        data = super().clean()
        data["ad_account_obj"] = self.accounts.get(data.get("ad_account") or "")
        data["page_obj"] = self.pages.get(data.get("page") or "")
        return data


class BudgetForm(forms.Form):
    budget_type = forms.ChoiceField(choices=BudgetType.choices, widget=forms.RadioSelect, label="Budget")
    budget_level = forms.ChoiceField(choices=BudgetLevel.choices, widget=forms.RadioSelect, label="Budget set on")
    amount = forms.DecimalField(min_value=Decimal("0.01"), max_digits=12, decimal_places=2, label="Amount")
    currency = forms.CharField(min_length=3, max_length=3, label="Currency")
    start = forms.DateTimeField(
        label="Start",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    end = forms.DateTimeField(
        label="End",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def __init__(self, *args, tz_name: str = "UTC", **kwargs):
        super().__init__(*args, **kwargs)
        self.tz_name = tz_name or "UTC"
        self.fields["start"].help_text = self.fields["end"].help_text = f"In the ad account's time zone ({tz_name})."

    def clean(self):
        data = super().clean()
        data["start"] = in_zone(data.get("start"), self.tz_name)
        data["end"] = in_zone(data.get("end"), self.tz_name)
        if data.get("amount") is not None:
            data["amount_minor"] = int((data["amount"] * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
        return data


class AudienceForm(forms.Form):
    saved_audience = forms.ChoiceField(required=False, label="Start from a saved audience")
    countries = forms.CharField(
        required=False, label="Countries", help_text="Two-letter codes, comma-separated: FR, BE"
    )
    regions = forms.CharField(required=False, label="Regions", help_text="Meta region keys, comma-separated.")
    cities = forms.CharField(
        required=False,
        label="Cities with radius",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line: Meta city key, then the radius in km (2420605 40).",
    )
    age_min = forms.IntegerField(min_value=13, max_value=65, initial=18, label="Youngest")
    age_max = forms.IntegerField(min_value=13, max_value=65, initial=65, label="Oldest (65 means 65+)")
    gender = forms.ChoiceField(choices=[("all", "Everyone"), ("1", "Men"), ("2", "Women")], initial="all")
    interests = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple, label="Interests")
    advantage_audience = forms.BooleanField(required=False, label="Advantage+ audience (let Meta go beyond these)")
    save_as = forms.CharField(required=False, max_length=120, label="Save this audience as")

    def __init__(self, *args, saved=(), chosen=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["saved_audience"].choices = [("", "—")] + [(str(a.pk), a.name) for a in saved]
        posted = self.data.getlist("interests") if hasattr(self.data, "getlist") else []
        tokens = {f"{i['id']}|{i['name']}" for i in chosen} | set(posted)
        self.fields["interests"].choices = [(t, t.split("|", 1)[-1]) for t in sorted(tokens)]

    def clean_countries(self):
        codes = [c.strip().upper() for c in self.cleaned_data["countries"].split(",") if c.strip()]
        bad = [c for c in codes if not re.fullmatch(r"[A-Z]{2}", c)]
        if bad:
            raise forms.ValidationError(f"Not a two-letter country code: {', '.join(bad)}.")
        return codes

    def clean_regions(self):
        keys = [c.strip() for c in self.cleaned_data["regions"].split(",") if c.strip()]
        if any(not k.isdigit() for k in keys):
            raise forms.ValidationError("Region keys are numbers (from Meta's location search).")
        return keys

    def clean_cities(self):
        cities = []
        for line in self.cleaned_data["cities"].splitlines():
            if not line.strip():
                continue
            parts = line.split()
            if len(parts) != 2 or not parts[0].isdigit() or not parts[1].isdigit():
                raise forms.ValidationError(f"“{line.strip()}”: write the city key and a radius in km.")
            radius = int(parts[1])
            if not 1 <= radius <= 80:
                raise forms.ValidationError("A radius goes from 1 to 80 km.")
            cities.append({"key": parts[0], "radius_km": radius})
        return cities

    def clean_interests(self):
        chosen = []
        for token in self.cleaned_data["interests"]:
            match = INTEREST_TOKEN.match(token)
            if not match:
                raise forms.ValidationError("Choose interests from the search results.")
            chosen.append({"id": match.group(1), "name": match.group(2)})
        return chosen

    def targeting(self) -> dict:
        data = self.cleaned_data
        return {
            "countries": data["countries"],
            "regions": data["regions"],
            "cities": data["cities"],
            "age_min": data["age_min"],
            "age_max": data["age_max"],
            "genders": [] if data["gender"] == "all" else [int(data["gender"])],
            "interests": data["interests"],
            "advantage_audience": data["advantage_audience"],
        }

    @staticmethod
    def initial_from(targeting: dict) -> dict:
        return {
            "countries": ", ".join(targeting.get("countries", [])),
            "regions": ", ".join(targeting.get("regions", [])),
            "cities": "\n".join(f"{c['key']} {c.get('radius_km', 25)}" for c in targeting.get("cities", [])),
            "age_min": targeting.get("age_min", 18),
            "age_max": targeting.get("age_max", 65),
            "gender": str(targeting["genders"][0]) if targeting.get("genders") else "all",
            "interests": [f"{i['id']}|{i['name']}" for i in targeting.get("interests", [])],
            "advantage_audience": targeting.get("advantage_audience", False),
        }


class PlacementsForm(forms.Form):
    mode = forms.ChoiceField(
        choices=[("automatic", "Automatic (Advantage+ placements, recommended)"), ("manual", "Manual")],
        widget=forms.RadioSelect,
        label="Placements",
    )
    placements = forms.MultipleChoiceField(
        choices=[(k, f"{v['label']} — {', '.join(v['formats'])}") for k, v in rules.PLACEMENTS.items()],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Manual placements",
    )


class CreativeCopyForm(forms.Form):
    formats = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, label="Formats in this ad")
    primary_text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, label="Primary text")
    headline = forms.CharField(required=False, max_length=255, label="Headline")
    description = forms.CharField(required=False, max_length=255, label="Description")
    call_to_action = forms.ChoiceField(choices=rules.CALLS_TO_ACTION, label="Call to action")
    destination_url = forms.CharField(max_length=1000, label="Destination URL")
    utm_source = forms.CharField(required=False, max_length=40, label="utm_source")
    utm_medium = forms.CharField(required=False, max_length=40, label="utm_medium")
    utm_campaign = forms.CharField(required=False, max_length=60, label="utm_campaign")
    utm_content = forms.CharField(required=False, max_length=60, label="utm_content")

    def __init__(self, *args, asset, **kwargs):
        kwargs.setdefault("prefix", f"ad-{asset.pk}")
        super().__init__(*args, **kwargs)
        self.asset = asset
        self.fields["formats"].choices = [(f, f) for f in asset.generation.formats]
        if not self.is_bound:
            self.initial = {
                "formats": asset.formats,
                "primary_text": asset.primary_text,
                "headline": asset.headline,
                "description": asset.description,
                "call_to_action": asset.call_to_action,
                "destination_url": asset.destination_url,
                **{f"utm_{k}": v for k, v in (asset.utm or {}).items()},
            }

    def utm(self) -> dict:
        return {k: self.cleaned_data[f"utm_{k}"] for k in ("source", "medium", "campaign", "content")}


class NamingForm(forms.Form):
    naming_pattern = forms.CharField(
        max_length=200, label="Ad name pattern", help_text="{brand}, {goal}, {template}, {format}, {date}, {campaign}"
    )


class ReviewForm(forms.Form):
    activate = forms.BooleanField(
        required=False,
        label="Start delivering as soon as Meta approves (ACTIVE)",
        help_text="Left unticked, everything is created PAUSED: review it in Ads Manager, then activate it here.",
    )


class StatusForm(forms.Form):
    action = forms.ChoiceField(choices=[("pause", "Pause"), ("activate", "Activate"), ("archive", "Archive")])


class BudgetChangeForm(forms.Form):
    amount = forms.DecimalField(min_value=Decimal("0.01"), max_digits=12, decimal_places=2, label="New budget")

    def amount_minor(self) -> int:
        return int((self.cleaned_data["amount"] * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


class EndDateForm(forms.Form):
    end = forms.DateTimeField(
        required=False,
        label="New end",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
