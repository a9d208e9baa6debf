import hashlib
import secrets
import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.constants import (
    DEFAULT_NOTIFICATIONS,
    DEFAULT_PALETTE,
    DEFAULT_TYPOGRAPHY,
    PALETTE_KEYS,
    AuthProvider,
    BudgetRange,
    BusinessType,
    ContentFilterLevel,
    Industry,
)
from craftplatform.models import MutableModel, TimestampedModel


def _user_file_path(folder: str, instance, filename: str) -> str:
    # The file name was chosen by the server when the upload was cleaned.
    owner = getattr(instance, "user_id", None) or instance.pk
    return f"{folder}/{owner}/{filename}"


def avatar_upload_to(instance, filename: str) -> str:
    return _user_file_path("avatars", instance, filename)


def logo_upload_to(instance, filename: str) -> str:
    return _user_file_path("brand-logos", instance, filename)


class UserManager(BaseUserManager):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        # Email is the login and is case-insensitive: it is stored lower-cased.
        return (email or "").strip().lower()

    def _create_user(self, email: str, password: str | None, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("is_verified", True)
        if not extra_fields["is_staff"] or not extra_fields["is_superuser"]:
            raise ValueError("A superuser must have is_staff and is_superuser set.")
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username: str):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField("email address", max_length=255, unique=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    avatar = models.ImageField(upload_to=avatar_upload_to, blank=True, max_length=255)
    auth_provider = models.CharField(max_length=50, choices=AuthProvider.choices, default=AuthProvider.EMAIL)
    auth_provider_id = models.CharField(max_length=255, blank=True, default="")
    is_verified = models.BooleanField("email verified", default=False)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.UniqueConstraint(
                fields=["auth_provider", "auth_provider_id"],
                condition=~models.Q(auth_provider_id=""),
                name="accounts_user_provider_id_unique",
            ),
        ]
        indexes = [models.Index(fields=["is_active", "created_at"], name="accounts_user_active_created")]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = type(self).objects.normalize_email(self.email)

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email.split("@")[0]


class UserPreference(MutableModel):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="preferences")
    default_ai_model = models.CharField(max_length=50, blank=True)
    ui_preferences = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=10, default="en")
    timezone = models.CharField(max_length=64, default="UTC")
    notification_settings = models.JSONField(default=dict, blank=True)
    content_filter_level = models.CharField(
        max_length=20, choices=ContentFilterLevel.choices, default=ContentFilterLevel.MODERATE
    )

    def __str__(self) -> str:
        return f"Preferences of {self.user}"

    def notification(self, key: str) -> bool:
        return bool(self.notification_settings.get(key, DEFAULT_NOTIFICATIONS.get(key, False)))


class BusinessProfile(MutableModel):
    # The fields the user edits, in the order forms and the API show them.
    EDITABLE_FIELDS = (
        "business_name",
        "business_type",
        "industry",
        "website_url",
        "business_address",
        "target_audience_description",
        "monthly_budget_range",
    )

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="business_profile")
    business_name = models.CharField(max_length=255, blank=True)
    business_type = models.CharField(max_length=100, choices=BusinessType.choices, blank=True)
    industry = models.CharField(max_length=100, choices=Industry.choices, blank=True)
    website_url = models.URLField(max_length=500, blank=True)
    business_address = models.TextField(blank=True)
    target_audience_description = models.TextField(blank=True)
    monthly_budget_range = models.CharField(max_length=50, choices=BudgetRange.choices, blank=True)

    def __str__(self) -> str:
        return self.business_name or f"Business of {self.user}"

    @property
    def is_complete(self) -> bool:
        return bool(self.business_name and self.industry)


def _default_palette() -> dict:
    return dict(DEFAULT_PALETTE)


def _default_typography() -> dict:
    return dict(DEFAULT_TYPOGRAPHY)


class BrandProfile(MutableModel):
    """The brand kit: what every render of this user's ads starts from."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="brand_profile")
    name = models.CharField("brand name", max_length=255, blank=True)
    website_url = models.URLField(max_length=500, blank=True)
    website_analysis = models.JSONField(default=dict, blank=True)
    logo = models.ImageField(upload_to=logo_upload_to, blank=True, max_length=255)
    logo_width = models.PositiveIntegerField(null=True, blank=True)
    logo_height = models.PositiveIntegerField(null=True, blank=True)
    color_palette = models.JSONField(default=_default_palette, blank=True)
    typography = models.JSONField(default=_default_typography, blank=True)
    brand_voice = models.JSONField(default=dict, blank=True)
    messaging_patterns = models.JSONField(default=dict, blank=True)
    social_media_analysis = models.JSONField(default=dict, blank=True)
    ai_generated_guidelines = models.JSONField(default=dict, blank=True)
    last_analysis = models.DateTimeField(null=True, blank=True)
    analysis_version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return self.name or f"Brand kit of {self.user}"

    def colour(self, key: str) -> str:
        return (self.color_palette or {}).get(key) or DEFAULT_PALETTE[key]

    @property
    def palette_items(self) -> list[tuple[str, str]]:
        """The palette in its fixed order, whatever order the database returns the JSON keys in."""
        return [(key, self.colour(key)) for key in PALETTE_KEYS]

    @property
    def completeness(self) -> dict[str, bool]:
        return {
            "name": bool(self.name),
            "logo": bool(self.logo),
            "palette": (self.color_palette or {}) != DEFAULT_PALETTE and bool(self.color_palette),
            "voice": bool((self.brand_voice or {}).get("tone")),
        }


# How an audit action reads to the user it is about (dashboard, activity lists).
ACTION_LABELS = {
    "account.signed_up": "You created your account",
    "account.signed_in": "You signed in",
    "account.signed_out": "You signed out",
    "account.email_verified": "You verified your email address",
    "account.password_changed": "You changed your password",
    "account.password_set": "You set a password",
    "account.password_reset": "You reset your password",
    "account.data_exported": "You downloaded your data",
    "api_key.created": "You created an API key",
    "api_key.revoked": "An API key was revoked",
}


class AuditEvent(TimestampedModel):
    """Who did what to which object: staff actions on money and access, and account activity."""

    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=100)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=255, blank=True)
    details = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["actor", "created_at"], name="accounts_audit_actor_created"),
            models.Index(fields=["action", "created_at"], name="accounts_audit_action_created"),
            models.Index(fields=["target_type", "target_id"], name="accounts_audit_target"),
        ]

    def __str__(self) -> str:
        return f"{self.action} on {self.target_type}:{self.target_id}"

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action.replace(".", ": ").replace("_", " ").capitalize())


API_KEY_PREFIX = "ca"


class ApiKeyAccess(models.TextChoices):
    READ_WRITE = "read_write", "Read and write"
    READ_ONLY = "read_only", "Read only"


class ApiKeyGroup(models.TextChoices):
    """Operation groups a key may be limited to (accounts.api_scopes maps each API route to one)."""

    GENERATE = "generate", "Generate (price, generate, variations, image operations)"
    LIBRARY = "library", "Library (generations, images, uploads, collections, templates)"
    BILLING = "billing", "Billing (credits, ledger, packs, plans, checkout)"
    ACCOUNT = "account", "Account (profile, preferences, brand kit and fonts, export)"


class ApiKey(TimestampedModel):
    """A personal API key. Only a hash is stored; the key is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    access = models.CharField(max_length=16, choices=ApiKeyAccess.choices, default=ApiKeyAccess.READ_WRITE)
    # Empty: every group. Otherwise the ApiKeyGroup values the key may reach.
    groups = models.JSONField(default=list, blank=True)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "created_at"], name="accounts_apikey_user_created")]

    def __str__(self) -> str:
        return f"{self.name} ({API_KEY_PREFIX}_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def is_read_only(self) -> bool:
        return self.access == ApiKeyAccess.READ_ONLY

    @property
    def scope_label(self) -> str:
        groups = (
            ", ".join(ApiKeyGroup(group).name.lower() for group in self.groups) if self.groups else "all operations"
        )
        return f"{self.get_access_display()}: {groups}"

    @staticmethod
    def hash_secret(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    @staticmethod
    def generate() -> tuple[str, str, str]:
        """A new (prefix, secret, full key)."""
        prefix = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        return prefix, secret, f"{API_KEY_PREFIX}_{prefix}_{secret}"


class IdempotencyRecord(models.Model):
    """The first answer to an API request sent with an `Idempotency-Key` header, replayed on retries.

    The unique (user, key) pair is what makes two concurrent requests with one key do the work
    once: the second insert waits for the first's commit and then fails. `completed_at` is null
    while the first request runs.
    """

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body.")
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=255)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="accounts_idempotency_user_key")]
        indexes = [models.Index(fields=["created_at"], name="accounts_idempotency_created")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.status_code or 'in progress'})"
