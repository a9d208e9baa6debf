"""A user's link to Meta: the connection (encrypted token, scopes, status), its ad accounts and Pages."""

from django.conf import settings
from django.db import models

from craftplatform.encryption import EncryptedTextField
from craftplatform.models import MutableModel


class ConnectionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    EXPIRING = "expiring", "Expiring soon"
    NEEDS_REAUTH = "needs_reauth", "Needs you to log in again"
    REVOKED = "revoked", "Disconnected"


class MetaConnection(MutableModel):
    """One per user. The token is a long-lived user token (about 60 days), encrypted at rest."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="meta_connection")
    meta_user_id = models.CharField(max_length=64, blank=True)
    meta_user_name = models.CharField(max_length=200, blank=True)
    # Never shown (admin included), never logged; empty once disconnected.
    access_token = EncryptedTextField(blank=True, default="")
    token_expires_at = models.DateTimeField(null=True, blank=True)
    scopes_granted = models.JSONField(default=list, blank=True)
    scopes_missing = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=20, choices=ConnectionStatus.choices, default=ConnectionStatus.ACTIVE)
    status_message = models.CharField(max_length=500, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    expiry_notified_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "token_expires_at"], name="campaigns_conn_expiry")]

    def __str__(self) -> str:
        return f"Meta connection of {self.user} ({self.get_status_display()})"

    @property
    def can_publish(self) -> bool:
        return self.status in {ConnectionStatus.ACTIVE, ConnectionStatus.EXPIRING} and bool(self.access_token)


class MetaAdAccount(MutableModel):
    connection = models.ForeignKey(MetaConnection, on_delete=models.CASCADE, related_name="ad_accounts")
    account_id = models.CharField(max_length=64, help_text="act_<number>, as Graph names it.")
    name = models.CharField(max_length=200)
    currency = models.CharField(max_length=3)
    timezone_name = models.CharField(max_length=64, default="UTC")
    account_status = models.PositiveSmallIntegerField(default=1, help_text="1 is active at Meta.")
    spend_cap = models.BigIntegerField(default=0, help_text="Minor units; 0 is no cap.")
    selected = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "account_id"], name="campaigns_adaccount_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.account_id}, {self.currency})"

    @property
    def is_usable(self) -> bool:
        return self.account_status == 1


class MetaPage(MutableModel):
    connection = models.ForeignKey(MetaConnection, on_delete=models.CASCADE, related_name="pages")
    page_id = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    instagram_actor_id = models.CharField(max_length=64, blank=True)
    selected = models.BooleanField(default=False)
    use_instagram = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["connection", "page_id"], name="campaigns_page_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.page_id})"
