import json

from django import forms

from templates_app import services
from templates_app.constants import CampaignType, Industry, TemplateStyle
from templates_app.errors import TemplateSpecError
from templates_app.models import AdTemplate, Category
from templates_app.selectors import GalleryFilters, Sort
from templates_app.spec import FORMATS


class GalleryFilterForm(forms.Form):
    """The gallery's filters, read from the query string. A value that is not a choice is dropped."""

    q = forms.CharField(
        label="Search templates",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Search templates, e.g. “summer sale”"}),
    )
    category = forms.ChoiceField(label="Category", required=False)
    industry = forms.ChoiceField(label="Industry", required=False, choices=[("", "Any industry"), *Industry.choices])
    style = forms.ChoiceField(label="Style", required=False, choices=[("", "Any style"), *TemplateStyle.choices])
    campaign_type = forms.ChoiceField(
        label="Campaign type", required=False, choices=[("", "Any campaign"), *CampaignType.choices]
    )
    format = forms.ChoiceField(
        label="Designed for",
        required=False,
        choices=[("", "Any format"), *((key, key) for key in FORMATS)],
    )
    favorites = forms.BooleanField(label="Only my favourites", required=False)
    no_product_photo = forms.BooleanField(
        label="No product photo needed",
        required=False,
        help_text="Templates that work without a photo of your product.",
    )
    sort = forms.ChoiceField(label="Sort by", required=False, choices=Sort.CHOICES)

    def __init__(self, *args, categories: list[Category], **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = categories
        self.fields["category"].choices = [("", "All categories"), *((c.slug, c.name) for c in categories)]

    def filters(self) -> GalleryFilters:
        self.is_valid()
        data = self.cleaned_data  # the fields that were valid
        return GalleryFilters(
            category=data.get("category", ""),
            industry=data.get("industry", ""),
            style=data.get("style", ""),
            campaign_type=data.get("campaign_type", ""),
            format=data.get("format", ""),
            q=data.get("q", ""),
            favorites=bool(data.get("favorites")),
            no_product_photo=bool(data.get("no_product_photo")),
            sort=data.get("sort", ""),
        )


class SpecField(forms.CharField):
    """A design spec edited as JSON text."""

    widget = forms.Textarea(
        attrs={"rows": 28, "cols": 100, "spellcheck": "false", "class": "vLargeTextField spec-editor"}
    )

    def prepare_value(self, value):
        if isinstance(value, dict | list):
            return json.dumps(value, indent=2, ensure_ascii=False)
        return value

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                f"This is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
            ) from exc


def spec_problem_messages(error: TemplateSpecError) -> list[str]:
    return [f"{path}: {message}" if path else message for path, message in error.problems]


class AdTemplateAdminForm(forms.ModelForm):
    spec = SpecField(
        label="Design spec",
        help_text="JSON in the design-spec format (docs/design-spec.md). Saving a changed spec makes a new version.",
    )
    tags = forms.CharField(label="Tags", required=False, help_text="Separated by commas.")
    # Not named "categories": the admin refuses a many-to-many with its own through model in a form.
    category_choices = forms.ModelMultipleChoiceField(
        label="Categories",
        queryset=Category.objects.order_by("display_order", "name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = AdTemplate
        fields = [
            "name",
            "slug",
            "description",
            "industry",
            "style",
            "campaign_type",
            "tags",
            "is_featured",
            "is_active",
            "metadata",
            "spec",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.prepared: services.PreparedSpec | None = None
        if self.instance.pk:
            self.initial["tags"] = ", ".join(self.instance.tags or [])
            self.initial["category_choices"] = list(self.instance.categories.all())

    def clean_tags(self):
        return services.templates.normalise_tags(self.cleaned_data["tags"].split(","))

    def clean_spec(self):
        spec = self.cleaned_data["spec"]
        try:
            prepared = services.prepare_spec(spec)
            unchanged = self.instance.pk and prepared.spec == self.instance.spec and bool(self.instance.thumbnail)
            # Rendering now shows a default text that does not fit at the field, before anything is saved.
            self.prepared = prepared if unchanged else prepared.with_renders()
        except TemplateSpecError as exc:
            raise forms.ValidationError(spec_problem_messages(exc)) from exc
        return spec


class MetricsImportForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text=services.CSV_HELP)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > services.metrics.MAX_BYTES:
            raise forms.ValidationError("The file is larger than 5 MB; split it.")
        return upload


class BrandFontUploadForm(forms.Form):
    """The file only: the service checks its content and reads the family, weight and style from it."""

    file = forms.FileField(
        label="Font file",
        help_text="A TrueType (.ttf) or OpenType (.otf) font, up to 5 MB. Upload each weight and style you use.",
        widget=forms.FileInput(attrs={"accept": ".ttf,.otf,font/ttf,font/otf,font/sfnt"}),
    )
