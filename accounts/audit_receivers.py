"""Account security events from django-allauth, written to the audit trail.

A new password (changed, set or reset) also revokes the user's API keys, and the page says so.
"""

from allauth.account.signals import password_changed, password_reset, password_set
from django.contrib import messages
from django.dispatch import receiver

from accounts import services


@receiver(password_changed, dispatch_uid="audit_password_changed")
def audit_password_changed(sender, request, user, **kwargs):
    services.record_audit_event(actor=user, action="account.password_changed", target=user, request=request)
    _revoke_api_keys(user, request)


@receiver(password_set, dispatch_uid="audit_password_set")
def audit_password_set(sender, request, user, **kwargs):
    services.record_audit_event(actor=user, action="account.password_set", target=user, request=request)
    _revoke_api_keys(user, request)


@receiver(password_reset, dispatch_uid="audit_password_reset")
def audit_password_reset(sender, request, user, **kwargs):
    services.record_audit_event(actor=user, action="account.password_reset", target=user, request=request)
    _revoke_api_keys(user, request)


def _revoke_api_keys(user, request) -> None:
    revoked = services.revoke_api_keys_after_password_change(user=user, request=request)
    if revoked and request is not None and hasattr(request, "_messages"):
        messages.warning(
            request,
            f"Your password changed, so your {revoked} API key{'s were' if revoked != 1 else ' was'} revoked. "
            "Create a new one in Settings → API keys.",
        )
