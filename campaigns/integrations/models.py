"""Where pages live besides CraftAds: WordPress sites (application passwords, encrypted) and the
user's outgoing webhooks with their delivery log."""

from django.conf import settings
from django.db import models

from campaigns.pages.models import LandingPage
from craftplatform.encryption import EncryptedTextField
from craftplatform.models import MutableModel


class IntegrationStatus(models.TextChoices):
    CONNECTED = "connected", "Connected"
    ERROR = "error", "Error"


class SiteIntegration(MutableModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="site_integrations")
    platform = models.CharField(max_length=20, default="wordpress", choices=[("wordpress", "WordPress")])
    name = models.CharField(max_length=120)
    site_url = models.URLField(max_length=500)
    username = models.CharField(max_length=150)
    app_password = EncryptedTextField()
    status = models.CharField(max_length=20, choices=IntegrationStatus.choices, default=IntegrationStatus.CONNECTED)
    last_error = models.CharField(max_length=500, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SitePublication(MutableModel):
    """A page published to a site: republishing updates the same remote page."""

    integration = models.ForeignKey(SiteIntegration, on_delete=models.CASCADE, related_name="publications")
    page = models.ForeignKey(LandingPage, on_delete=models.CASCADE, related_name="site_publications")
    remote_id = models.CharField(max_length=64)
    remote_url = models.URLField(max_length=1000, blank=True)
    version_number = models.PositiveIntegerField(default=0)
    media = models.JSONField(default=dict, blank=True, help_text="Image key → remote media id and URL.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["integration", "page"], name="campaigns_publication_site_page_unique")
        ]

    def __str__(self) -> str:
        return f"{self.page} on {self.integration}"


class WebhookEvent(models.TextChoices):
    LEAD_CREATED = "lead.created", "A lead was created"
    GENERATION_COMPLETED = "generation.completed", "A generation completed"


class WebhookEndpoint(MutableModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=1000)
    events = models.JSONField(default=list)
    secret = EncryptedTextField()
    is_active = models.BooleanField(default=True)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(MutableModel):
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40, choices=WebhookEvent.choices)
    event_id = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_response_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    replay_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replays")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="campaigns_delivery_due")]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id}"
