"""Categories, templates with their versioned design specs, template metrics and favourites.

Templates are never deleted: generations keep pointing at the template and the
spec version they were rendered with. Taking one out of the library is a soft
delete (`is_active=False`). Every write goes through `templates_app.services`.
"""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q

from craftplatform.models import MutableModel, TimestampedModel
from templates_app.constants import CampaignType, Industry, TemplateStyle


def template_file_path(instance, filename: str) -> str:
    # The service names each render: "<slug>/v<version>-<format>-<hash>.webp".
    return f"templates/{filename}"


class Category(MutableModel):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    icon = models.CharField(max_length=100, blank=True, help_text="An icon identifier (an emoji or an icon name).")
    display_order = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["display_order", "name"]
        verbose_name_plural = "categories"
        indexes = [models.Index(fields=["is_active", "display_order"], name="templates_cat_active_order")]

    def __str__(self) -> str:
        return self.name


class AdTemplate(MutableModel):
    """An ad template: its gallery facts, its current design spec and the renders made from it."""

    slug = models.SlugField(max_length=120, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    industry = models.CharField(max_length=50, choices=Industry.choices, db_index=True)
    style = models.CharField(max_length=50, choices=TemplateStyle.choices, db_index=True)
    campaign_type = models.CharField(max_length=50, choices=CampaignType.choices, db_index=True)
    tags = models.JSONField(default=list, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    categories = models.ManyToManyField(Category, through="AdCategory", related_name="templates", blank=True)

    # The design spec as authored (validated and normalised), and the same spec with every
    # format filled in: the one pages and generations render. `spec_version` goes up by one
    # whenever the spec changes; TemplateSpecVersion keeps every version.
    spec = models.JSONField(default=dict)
    render_spec = models.JSONField(default=dict)
    spec_version = models.PositiveIntegerField(default=0)
    native_formats = models.JSONField(default=list, blank=True, help_text="Formats the spec lays out itself.")
    adapted_formats = models.JSONField(default=list, blank=True, help_text="Formats adapted from a native one.")
    # Derived from the spec by the template service (an image slot with the role "product"): the
    # gallery's "needs no product photo" filter and the customise page's photo-first layout read it.
    needs_product_photo = models.BooleanField(
        default=False, editable=False, help_text="The spec has an image slot for the user's product photo."
    )

    # Renders of the current spec with the slots' default content (WebP): a 1:1 thumbnail for
    # the gallery, and {format key: storage name} previews for the detail page.
    thumbnail = models.ImageField(upload_to=template_file_path, max_length=255, blank=True)
    previews = models.JSONField(default=dict, blank=True)
    # The seed's image facts, for the primary (first native) format.
    width = models.PositiveIntegerField(default=1080)
    height = models.PositiveIntegerField(default=1080)
    format = models.CharField("primary format", max_length=8, default="1:1")

    is_featured = models.BooleanField(default=False, db_index=True)
    is_active = models.BooleanField(default=True, db_index=True)
    usage_count = models.PositiveIntegerField(default=0)
    # Impressions-weighted click-through rate over the template's AdMetric rows; null until
    # there is real data. Kept up to date by the metrics import.
    best_ctr = models.FloatField(null=True, blank=True)
    metric_impressions = models.PositiveBigIntegerField(default=0)
    metric_clicks = models.PositiveBigIntegerField(default=0)
    # The lower bound of the CTR's 95 % Wilson interval: what "best click-through rate" ranks by, so
    # 3 clicks of 10 impressions never beat 2,000 of 100,000. Null below the minimum sample size.
    ctr_lower_bound = models.FloatField(null=True, blank=True)

    # Search: name, description, tags and the choice labels in one text, maintained by the
    # service that saves the template. PostgreSQL searches `search_vector` (built from it,
    # with a GIN index created by migration 0001 on PostgreSQL only); SQLite searches the text.
    search_text = models.TextField(blank=True, editable=False)
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["-is_featured", "-created_at"]
        indexes = [
            # Gallery sorts over active templates. The best-CTR sort's index (NULLS LAST) is created
            # on PostgreSQL only, by migration 0001.
            models.Index(fields=["is_active", "-is_featured", "-created_at"], name="templates_active_featured"),
            models.Index(fields=["is_active", "-created_at"], name="templates_active_newest"),
            models.Index(fields=["is_active", "-usage_count"], name="templates_active_used"),
            # The gallery's "needs no product photo" filter, over active templates.
            models.Index(fields=["is_active", "needs_product_photo"], name="templates_active_photo"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def ctr_percent(self) -> float | None:
        """The click-through rate shown to users, in % (only with enough impressions to mean something)."""
        return None if self.ctr_lower_bound is None or self.best_ctr is None else self.best_ctr * 100

    @property
    def is_adapted(self) -> bool:
        return bool(self.adapted_formats)


class TemplateSpecVersion(TimestampedModel):
    """One version of a template's spec, kept so a generation can be re-rendered exactly."""

    template = models.ForeignKey(AdTemplate, on_delete=models.PROTECT, related_name="spec_versions")
    version = models.PositiveIntegerField()
    spec = models.JSONField()
    render_spec = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["template", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["template", "version"], name="templates_spec_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.template_id} v{self.version}"


class AdCategory(TimestampedModel):
    template = models.ForeignKey(AdTemplate, on_delete=models.CASCADE, related_name="category_links")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="template_links")

    class Meta:
        verbose_name = "template category"
        constraints = [
            models.UniqueConstraint(fields=["template", "category"], name="templates_adcategory_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.template_id} in {self.category_id}"


class MetricSource(models.TextChoices):
    CSV_IMPORT = "csv_import", "CSV import"
    CAMPAIGN_SYNC = "campaign_sync", "Campaign sync"


class AdMetric(MutableModel):
    """Measured performance of ads made from a template: one row per template, day and source."""

    template = models.ForeignKey(AdTemplate, on_delete=models.PROTECT, related_name="metrics")
    recorded_at = models.DateTimeField(db_index=True)
    source = models.CharField(max_length=20, choices=MetricSource.choices, default=MetricSource.CSV_IMPORT)
    impressions = models.PositiveBigIntegerField()
    ctr = models.FloatField("CTR")
    conversion_rate = models.FloatField(null=True, blank=True)
    engagement_rate = models.FloatField(null=True, blank=True)
    performance_data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-recorded_at"]
        constraints = [
            models.UniqueConstraint(fields=["template", "recorded_at", "source"], name="templates_metric_unique_day"),
            models.CheckConstraint(condition=Q(ctr__gte=0) & Q(ctr__lte=1), name="templates_metric_ctr_rate"),
            models.CheckConstraint(
                condition=Q(conversion_rate__isnull=True) | (Q(conversion_rate__gte=0) & Q(conversion_rate__lte=1)),
                name="templates_metric_conversion_rate",
            ),
            models.CheckConstraint(
                condition=Q(engagement_rate__isnull=True) | (Q(engagement_rate__gte=0) & Q(engagement_rate__lte=1)),
                name="templates_metric_engagement_rate",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template_id} on {self.recorded_at:%Y-%m-%d}"


class FavoriteTemplate(TimestampedModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favorite_templates")
    template = models.ForeignKey(AdTemplate, on_delete=models.CASCADE, related_name="favorited_by")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "template"], name="templates_favorite_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ♥ {self.template_id}"


def brand_font_path(instance, filename: str) -> str:
    # The service names each file "<uuid>.<ttf|otf>": never the name the user's file had.
    return f"brand-fonts/{instance.user_id}/{filename}"


class FontStyle(models.TextChoices):
    NORMAL = "normal", "Upright"
    ITALIC = "italic", "Italic"


class BrandFont(TimestampedModel):
    """A TrueType or OpenType font a user uploaded for their brand kit: one face of a family.

    Written once by `services.fonts.upload_brand_font` (which checks the file and reads the
    family, weight and style from it) and removed by `delete_brand_font`; never edited.
    """

    MAX_PER_USER = 20

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="brand_fonts")
    family = models.CharField(max_length=100)
    weight = models.PositiveSmallIntegerField(default=400, help_text="From the font's OS/2 table (100-900).")
    style = models.CharField(max_length=10, choices=FontStyle.choices, default=FontStyle.NORMAL)
    file = models.FileField(upload_to=brand_font_path, max_length=255)
    original_name = models.CharField(max_length=255, blank=True, help_text="The uploaded file's name, for display.")
    size = models.PositiveIntegerField(help_text="Bytes.")
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["family", "weight", "style"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "family", "weight", "style"], name="templates_brandfont_unique_face"
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=100) & Q(weight__lte=900), name="templates_brandfont_weight"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.family} {self.face_label}"

    @property
    def face_label(self) -> str:
        """'Bold italic (700)', 'Regular (400)'."""
        name = WEIGHT_LABELS.get(self.weight, str(self.weight))
        return f"{name}{' italic' if self.style == FontStyle.ITALIC else ''} ({self.weight})"


WEIGHT_LABELS = {
    100: "Thin",
    200: "Extra light",
    300: "Light",
    400: "Regular",
    500: "Medium",
    600: "Semibold",
    700: "Bold",
    800: "Extra bold",
    900: "Black",
}
