"""Account security events from django-allauth, written to the audit trail."""

from allauth.account.signals import password_changed, password_reset, password_set
from django.dispatch import receiver

from accounts import services


@receiver(password_changed, dispatch_uid="audit_password_changed")
def audit_password_changed(sender, request, user, **kwargs):
    services.record_audit_event(actor=user, action="account.password_changed", target=user, request=request)


@receiver(password_set, dispatch_uid="audit_password_set")
def audit_password_set(sender, request, user, **kwargs):
    services.record_audit_event(actor=user, action="account.password_set", target=user, request=request)


@receiver(password_reset, dispatch_uid="audit_password_reset")
def audit_password_reset(sender, request, user, **kwargs):
    services.record_audit_event(actor=user, action="account.password_reset", target=user, request=request)
