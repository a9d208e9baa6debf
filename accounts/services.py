"""Writes to accounts: profiles, brand kit, audit trail, API keys, account deletion."""

import logging
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.constants import DEFAULT_NOTIFICATIONS, PALETTE_KEYS
from accounts.models import (
    ApiKey,
    ApiKeyAccess,
    ApiKeyGroup,
    AuditEvent,
    BrandProfile,
    BusinessProfile,
    User,
    UserPreference,
)
from craftplatform import user_data
from craftplatform.client_address import client_address
from craftplatform.errors import DomainError
from craftplatform.images import CleanImage

logger = logging.getLogger(__name__)


class AccountError(DomainError):
    pass


def record_audit_event(
    *,
    actor: User | None,
    action: str,
    target: Any = None,
    details: dict | None = None,
    request=None,
) -> AuditEvent:
    target_type = target_id = target_repr = ""
    if target is not None:
        target_type = target._meta.label_lower
        target_id = str(target.pk)
        target_repr = str(target)[:255]
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_repr=target_repr,
        details=details or {},
        ip_address=client_address(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:500] if request is not None else ""),
    )


def ensure_user_records(*, user: User) -> None:
    """Every user has preferences, a brand kit and a business profile from sign-up on."""
    UserPreference.objects.get_or_create(user=user, defaults={"notification_settings": dict(DEFAULT_NOTIFICATIONS)})
    BrandProfile.objects.get_or_create(user=user)
    BusinessProfile.objects.get_or_create(user=user)


def _delete_files_on_commit(names: list[str]) -> None:
    def delete() -> None:
        for name in names:
            try:
                default_storage.delete(name)
            except Exception:
                logger.exception("Could not delete a stored file", extra={"file_name": name})

    if names:
        transaction.on_commit(delete)


def mark_email_verified(*, user: User, request=None) -> None:
    updated = User.objects.filter(pk=user.pk, is_verified=False).update(is_verified=True, updated_at=timezone.now())
    user.is_verified = True
    if updated:
        record_audit_event(actor=user, action="account.email_verified", target=user, request=request)


@transaction.atomic
def update_profile(
    *, user: User, first_name: str, last_name: str, avatar: CleanImage | None = None, remove_avatar: bool = False
) -> User:
    old_avatar = user.avatar.name if user.avatar else ""
    user.first_name = first_name.strip()
    user.last_name = last_name.strip()
    if avatar is not None:
        user.avatar.save(avatar.content.name, avatar.content, save=False)
    elif remove_avatar:
        user.avatar = ""
    user.save(update_fields=["first_name", "last_name", "avatar", "updated_at"])
    if old_avatar and (avatar is not None or remove_avatar):
        _delete_files_on_commit([old_avatar])
    return user


@transaction.atomic
def update_preferences(
    *,
    user: User,
    timezone_name: str,
    theme: str,
    content_filter_level: str,
    notifications: dict[str, bool],
    request=None,
) -> UserPreference:
    prefs, _ = UserPreference.objects.select_for_update().get_or_create(user=user)
    prefs.timezone = timezone_name
    prefs.ui_preferences = {**(prefs.ui_preferences or {}), "theme": theme}
    prefs.content_filter_level = content_filter_level
    prefs.notification_settings = {key: bool(notifications.get(key, False)) for key in DEFAULT_NOTIFICATIONS}
    prefs.save()
    if request is not None:
        request.session["timezone"] = timezone_name
        request.session["theme"] = theme
    return prefs


@transaction.atomic
def update_brand_profile(
    *,
    user: User,
    values: dict[str, Any],
    logo: CleanImage | None = None,
    remove_logo: bool = False,
) -> BrandProfile:
    """Update the brand kit. `values` holds any of: name, website_url, palette, typography, voice, messaging."""
    brand, _ = BrandProfile.objects.select_for_update().get_or_create(user=user)
    old_logo = brand.logo.name if brand.logo else ""
    if "name" in values:
        brand.name = values["name"].strip()
    if "website_url" in values:
        brand.website_url = values["website_url"]
    if "palette" in values:
        palette = values["palette"]
        unknown = set(palette) - set(PALETTE_KEYS)
        if unknown:
            raise AccountError(f"Unknown palette colour: {', '.join(sorted(unknown))}.")
        brand.color_palette = {**(brand.color_palette or {}), **{k: v.upper() for k, v in palette.items()}}
    if "typography" in values:
        brand.typography = {**(brand.typography or {}), **values["typography"]}
    if "voice" in values:
        brand.brand_voice = {**(brand.brand_voice or {}), **values["voice"]}
    if "messaging" in values:
        brand.messaging_patterns = {**(brand.messaging_patterns or {}), **values["messaging"]}
    if logo is not None:
        brand.logo.save(logo.content.name, logo.content, save=False)
        brand.logo_width, brand.logo_height = logo.width, logo.height
    elif remove_logo:
        brand.logo = ""
        brand.logo_width = brand.logo_height = None
    brand.save()
    if old_logo and (logo is not None or remove_logo):
        _delete_files_on_commit([old_logo])
    return brand


@transaction.atomic
def update_business_profile(*, user: User, values: dict[str, Any]) -> BusinessProfile:
    profile, _ = BusinessProfile.objects.select_for_update().get_or_create(user=user)
    for field in BusinessProfile.EDITABLE_FIELDS:
        if field in values:
            setattr(profile, field, values[field])
    profile.full_clean(exclude=["user"])
    profile.save()
    return profile


def record_data_export(*, user: User, request=None) -> dict:
    export = user_data.export_user_data(user)
    record_audit_event(actor=user, action="account.data_exported", target=user, request=request)
    return export


@transaction.atomic
def delete_account(*, user: User, request=None) -> None:
    """Remove the user and everything they own; their files go once the deletion is committed."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    file_names = user_data.user_file_names(locked)
    anonymise_audit_trail(user=locked)
    # Kept, without the deleted person's address or browser.
    record_audit_event(
        actor=None,
        action="account.deleted",
        details={"user_id": str(locked.pk), "files_removed": len(file_names)},
    )
    locked.delete()
    _delete_files_on_commit(file_names)
    logger.info("Account deleted", extra={"user_id": str(user.pk), "files": len(file_names)})


DELETED_USER_LABEL = "deleted user"


def _scrub(value: Any, email: str) -> Any:
    if isinstance(value, str):
        return value.replace(email, DELETED_USER_LABEL) if email else value
    if isinstance(value, dict):
        return {key: _scrub(item, email) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, email) for item in value]
    return value


def anonymise_audit_trail(*, user: User) -> int:
    """At account deletion the events stay (what happened, when, to which id), the person goes.

    Events the user did lose their address and browser; every event by or about them loses their
    email (in the target's label and the details). Staff's own addresses on their actions are kept.
    """
    email = user.email
    events = AuditEvent.objects.filter(Q(actor=user) | Q(target_type=User._meta.label_lower, target_id=str(user.pk)))
    changed = []
    for event in events.only("pk", "actor_id", "target_type", "target_id", "target_repr", "details"):
        if event.actor_id == user.pk:
            event.ip_address = None
            event.user_agent = ""
        if event.target_type == User._meta.label_lower and event.target_id == str(user.pk):
            event.target_repr = DELETED_USER_LABEL
        event.target_repr = _scrub(event.target_repr, email)
        event.details = _scrub(event.details, email)
        changed.append(event)
    fields = ["target_repr", "details"]
    AuditEvent.objects.bulk_update(changed, fields, batch_size=500)
    AuditEvent.objects.filter(actor=user).update(ip_address=None, user_agent="")
    return len(changed)


def create_api_key(
    *,
    user: User,
    name: str,
    access: str = ApiKeyAccess.READ_WRITE,
    groups: list[str] | tuple[str, ...] = (),
    request=None,
) -> tuple[ApiKey, str]:
    """Create a key and return it with the full secret, which is never shown again.

    `access` read_only refuses every write; `groups` (ApiKeyGroup values) limits the key to those
    operation groups, none meaning all (accounts.api_scopes enforces both)."""
    name = name.strip()
    if not name:
        raise AccountError("Give the key a name so you can recognise it later.")
    if access not in ApiKeyAccess.values:
        raise AccountError("Choose read only or read and write.")
    unknown = sorted(set(groups) - set(ApiKeyGroup.values))
    if unknown:
        raise AccountError(f"Unknown operation groups: {', '.join(unknown)}.")
    groups = [group for group in ApiKeyGroup.values if group in set(groups)]
    if ApiKey.objects.filter(user=user, revoked_at__isnull=True).count() >= 20:
        raise AccountError("You have 20 active keys; revoke one before creating another.")
    prefix, secret, full_key = ApiKey.generate()
    key = ApiKey.objects.create(
        user=user,
        name=name[:100],
        prefix=prefix,
        key_hash=ApiKey.hash_secret(secret),
        access=access,
        groups=groups,
    )
    record_audit_event(actor=user, action="api_key.created", target=key, request=request)
    return key, full_key


def revoke_api_key(*, key: ApiKey, actor: User, request=None) -> ApiKey:
    updated = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    key.refresh_from_db()
    if updated:
        record_audit_event(actor=actor, action="api_key.revoked", target=key, request=request)
    return key


def revoke_api_keys_after_password_change(*, user: User, request=None) -> int:
    """A new password is often the answer to a leak: keys made under the old one stop working too.

    We revoke rather than ask: a key that keeps working after the owner locked the door defeats the
    point, and a new key is one click away. The page that changed the password says so.
    """
    keys = list(ApiKey.objects.filter(user=user, revoked_at__isnull=True))
    if not keys:
        return 0
    revoked = ApiKey.objects.filter(pk__in=[key.pk for key in keys], revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    for key in keys:
        record_audit_event(
            actor=user, action="api_key.revoked", target=key, details={"reason": "password_changed"}, request=request
        )
    return revoked


# Fields whose change alters what a user may do: every change by staff is audited.
ACCESS_FIELDS = ("is_active", "is_staff", "is_superuser")


def record_access_change(
    *, actor: User, user: User, before: dict[str, Any], after: dict[str, Any], request=None
) -> AuditEvent | None:
    changes = {key: {"from": before[key], "to": after[key]} for key in before if before[key] != after.get(key)}
    if not changes:
        return None
    return record_audit_event(
        actor=actor, action="user.access_changed", target=user, details={"changes": changes}, request=request
    )


@transaction.atomic
def set_users_active(*, actor: User, users, active: bool, request=None) -> int:
    changed = 0
    for user in User.objects.select_for_update().filter(pk__in=[u.pk for u in users]).order_by("pk"):
        if user.is_active == active:
            continue
        if user.pk == actor.pk and not active:
            raise AccountError("You cannot deactivate your own account from the admin.")
        user.is_active = active
        user.save(update_fields=["is_active", "updated_at"])
        record_access_change(
            actor=actor, user=user, before={"is_active": not active}, after={"is_active": active}, request=request
        )
        changed += 1
    return changed
