"""Page events recorded by the public landing pages' beacon, bulk-loaded from the ingest stream."""

from django.db import models

from campaigns.models import LandingPage
from craftplatform.models import TimestampedModel


class PageEventType(models.TextChoices):
    VIEW = "view", "Page view"
    CLICK = "click", "CTA click"
    SUBMIT = "submit", "Form submit"
    SCROLL = "scroll", "Scrolled past the fold"


class PageEvent(TimestampedModel):
    """One accepted beacon event. `ingest_id` (the stream entry id, or a random id when written
    directly) is unique, so a batch loaded twice after a crash is stored once."""

    ingest_id = models.CharField(max_length=64, unique=True)
    page = models.ForeignKey(LandingPage, on_delete=models.CASCADE, related_name="events", db_constraint=False)
    version_number = models.PositiveIntegerField(default=0)
    event_type = models.CharField(max_length=10, choices=PageEventType.choices)
    component_id = models.CharField(max_length=36, blank=True)
    utm_source = models.CharField(max_length=200, blank=True)
    utm_medium = models.CharField(max_length=200, blank=True)
    utm_campaign = models.CharField(max_length=200, blank=True)
    utm_content = models.CharField(max_length=200, blank=True)
    utm_term = models.CharField(max_length=200, blank=True)
    fbclid = models.CharField(max_length=500, blank=True)
    referrer = models.CharField(max_length=500, blank=True)
    visitor_hash = models.CharField(max_length=64)
    country = models.CharField(max_length=2, blank=True)
    occurred_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["page", "occurred_at"], name="analytics_event_page_time")]

    def __str__(self) -> str:
        return f"{self.event_type} on {self.page_id}"
