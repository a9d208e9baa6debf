"""Landing pages: the draft (an ordered list of typed components), the immutable published versions,
the user's public handle, and the component library."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from craftplatform.models import MutableModel, TimestampedModel


class PageStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    UNPUBLISHED = "unpublished", "Taken down"


class PageHandle(MutableModel):
    """The first part of a public page's address: /p/<handle>/<page-slug>/."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="page_handle")
    handle = models.SlugField(max_length=40, unique=True)

    def __str__(self) -> str:
        return self.handle


class LandingPage(MutableModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="landing_pages")
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60)
    title = models.CharField(max_length=120, blank=True, help_text="The browser tab and search result title.")
    description = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=20, choices=PageStatus.choices, default=PageStatus.DRAFT)
    starting_point = models.CharField(max_length=40, blank=True)
    published_version = models.ForeignKey(
        "PageVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    # What a lead counts as (page settings): the conversion's type, value and currency.
    conversion_type = models.CharField(max_length=40, default="lead")
    conversion_value = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, default="USD")
    notify_owner = models.BooleanField(default=True, help_text="Email me each new lead.")
    lead_retention_days = models.PositiveIntegerField(
        default=365, help_text="Leads older than this are deleted; 0 keeps them until you delete them."
    )
    # The state before the last change to the draft, so the editor can undo it.
    undo_state = models.JSONField(null=True, blank=True)
    draft_revision = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [models.UniqueConstraint(fields=["user", "slug"], name="campaigns_page_user_slug_unique")]
        indexes = [models.Index(fields=["user", "-updated_at"], name="campaigns_page_user_recent")]

    def __str__(self) -> str:
        return self.name

    @property
    def has_unpublished_changes(self) -> bool:
        version = self.published_version
        return version is None or version.draft_revision != self.draft_revision


class PageComponent(MutableModel):
    page = models.ForeignKey(LandingPage, on_delete=models.CASCADE, related_name="components")
    position = models.PositiveIntegerField()
    component_type = models.CharField(max_length=30)
    props = models.JSONField(default=dict)

    class Meta:
        ordering = ["position", "created_at"]
        indexes = [models.Index(fields=["page", "position"], name="campaigns_component_order")]

    def __str__(self) -> str:
        return f"{self.component_type} #{self.position}"


class PageVersion(TimestampedModel):
    """What was published, frozen: components, brand style and image renditions. Never changes."""

    page = models.ForeignKey(LandingPage, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    draft_revision = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=120, blank=True)
    description = models.CharField(max_length=300, blank=True)
    components = models.JSONField(default=list)
    brand = models.JSONField(default=dict)
    images = models.JSONField(default=dict, help_text="Image id → WebP renditions {width: storage name}.")
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["page", "number"], name="campaigns_version_page_number_unique")]

    def __str__(self) -> str:
        return f"{self.page} v{self.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("A published page version is immutable.")
        super().save(*args, **kwargs)


class SavedComponent(MutableModel):
    """A configured component kept for reuse; shared ones can be copied by anyone, edited by the owner only."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_components")
    name = models.CharField(max_length=80)
    component_type = models.CharField(max_length=30)
    props = models.JSONField(default=dict)
    tags = models.JSONField(default=list, blank=True)
    search_text = models.TextField(blank=True, editable=False)
    is_public = models.BooleanField(default=False)
    copies = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["is_public", "component_type"], name="campaigns_saved_public_type")]

    def __str__(self) -> str:
        return self.name
