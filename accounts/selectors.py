"""Reads of accounts data shared by pages and the API. Every one is scoped to the requesting user."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.constants import DEFAULT_NOTIFICATIONS
from accounts.models import ApiKey, AuditEvent, BrandProfile, BusinessProfile, User, UserPreference
from accounts.services import ensure_user_records


def _own_record(model, user: User):
    """The user's one row of `model`; users made before it existed get theirs on first read."""
    try:
        return model.objects.get(user=user)
    except model.DoesNotExist:
        ensure_user_records(user=user)
        return model.objects.get(user=user)


def get_preferences(*, user: User) -> UserPreference:
    return _own_record(UserPreference, user)


def get_brand_profile(*, user: User) -> BrandProfile:
    return _own_record(BrandProfile, user)


def get_business_profile(*, user: User) -> BusinessProfile:
    return _own_record(BusinessProfile, user)


def list_api_keys(*, user: User) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(user=user).order_by("revoked_at", "-created_at")


def get_api_key_for_user(*, user: User, key_id) -> ApiKey:
    """Another user's key answers 404, exactly like a key that does not exist."""
    return get_object_or_404(ApiKey, pk=key_id, user=user)


def recent_activity(*, user: User, limit: int = 10) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(actor=user).order_by("-created_at")[:limit]


def dashboard_summary(*, user: User) -> dict:
    brand = get_brand_profile(user=user)
    business = get_business_profile(user=user)
    checklist = [
        {"label": "Verify your email address", "done": user.is_verified, "url_name": "account_email"},
        {"label": "Name your brand", "done": bool(brand.name), "url_name": "accounts:brand"},
        {"label": "Upload your logo", "done": bool(brand.logo), "url_name": "accounts:brand"},
        {"label": "Choose your brand colours", "done": brand.completeness["palette"], "url_name": "accounts:brand"},
        {"label": "Describe your business", "done": business.is_complete, "url_name": "accounts:business"},
    ]
    return {
        "brand": brand,
        "business": business,
        "checklist": checklist,
        "checklist_done": sum(item["done"] for item in checklist),
        "activity": list(recent_activity(user=user, limit=5)),
    }


# Emails of this kind always go (receipts, sign-in and security mail); others are a notification preference.
TRANSACTIONAL_EMAIL = "transactional"


def wants_email(*, user_id, kind: str) -> bool:
    """Whether this user receives emails of this kind now (an inactive or deleted user receives none)."""
    if kind == TRANSACTIONAL_EMAIL:
        return True
    if kind not in DEFAULT_NOTIFICATIONS:
        raise ValueError(f"Unknown email kind {kind!r}")
    if not User.objects.filter(pk=user_id, is_active=True).exists():
        return False
    prefs = UserPreference.objects.filter(user_id=user_id).first()
    return prefs.notification(kind) if prefs is not None else DEFAULT_NOTIFICATIONS[kind]
