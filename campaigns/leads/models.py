"""Leads (form submissions on a public page) and the conversion each one counts as, with its attribution.

Attribution is kept as plain values (UTM parameters, fbclid and the CraftAds ids carried in
utm_campaign / utm_content), not foreign keys: the Meta campaign models live on another branch and
a campaign deleted later must not take its leads with it.
"""

from django.conf import settings
from django.db import models

from campaigns.pages.models import LandingPage, PageVersion
from craftplatform.models import TimestampedModel


class Lead(TimestampedModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="leads")
    page = models.ForeignKey(LandingPage, on_delete=models.CASCADE, related_name="leads")
    version = models.ForeignKey(PageVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    message = models.TextField(blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    owner_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="campaigns_lead_user_recent")]

    def __str__(self) -> str:
        return self.email or self.name or str(self.pk)


class Conversion(TimestampedModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversions")
    page = models.ForeignKey(LandingPage, on_delete=models.CASCADE, related_name="conversions")
    lead = models.OneToOneField(Lead, null=True, blank=True, on_delete=models.CASCADE, related_name="conversion")
    version_number = models.PositiveIntegerField(null=True, blank=True)
    conversion_type = models.CharField(max_length=40, default="lead")
    value = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, default="USD")
    event_id = models.CharField(max_length=64, unique=True, help_text="Shared with the browser event (deduplication).")
    utm_source = models.CharField(max_length=200, blank=True)
    utm_medium = models.CharField(max_length=200, blank=True)
    utm_campaign = models.CharField(max_length=200, blank=True)
    utm_content = models.CharField(max_length=200, blank=True)
    utm_term = models.CharField(max_length=200, blank=True)
    fbclid = models.CharField(max_length=500, blank=True)
    referrer = models.CharField(max_length=500, blank=True)
    # CraftAds ids parsed from utm_campaign / utm_content (ca-<kind>-<uuid>), linked by the integrator.
    campaign_ref = models.CharField(max_length=64, blank=True)
    ad_ref = models.CharField(max_length=64, blank=True)
    creative_ref = models.CharField(max_length=64, blank=True)
    country = models.CharField(max_length=2, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["page", "-created_at"], name="campaigns_conv_page_recent"),
            models.Index(fields=["user", "utm_campaign"], name="campaigns_conv_user_campaign"),
        ]

    def __str__(self) -> str:
        return f"{self.conversion_type} on {self.page_id}"
