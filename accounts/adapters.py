"""django-allauth hooks: our user fields, verified flag, audit trail and emails through the worker."""

from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.db import transaction
from django.urls import reverse

from accounts import emails, services
from accounts.constants import AuthProvider
from accounts.models import UserPreference
from craftplatform.client_address import client_key


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request):
        # allauth's rate limits (sign-in, sign-up, resets) count per client behind TRUSTED_PROXY_COUNT
        # proxies, and an unreadable X-Forwarded-For shares one bucket instead of answering 500.
        return client_key(request)

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        user.auth_provider = AuthProvider.EMAIL
        if commit:
            with transaction.atomic():
                user.save()
                services.ensure_user_records(user=user)
                services.record_audit_event(actor=user, action="account.signed_up", target=user, request=request)
        return user

    def confirm_email(self, request, email_address):
        confirmed = super().confirm_email(request, email_address)
        user = email_address.user
        if email_address.email.lower() == user.email.lower():
            services.mark_email_verified(user=user, request=request)
        return confirmed

    def login(self, request, user):
        super().login(request, user)
        prefs = UserPreference.objects.filter(user=user).values("timezone", "ui_preferences").first()
        if prefs:
            request.session["timezone"] = prefs["timezone"]
            request.session["theme"] = (prefs["ui_preferences"] or {}).get("theme", "auto")
        services.record_audit_event(actor=user, action="account.signed_in", target=user, request=request)

    def logout(self, request):
        user = request.user if request.user.is_authenticated else None
        if user is not None:
            services.record_audit_event(actor=user, action="account.signed_out", target=user, request=request)
        super().logout(request)

    def get_email_confirmation_url(self, request, emailconfirmation):
        # SITE_URL, not the Sites framework's domain (127.0.0.1:8000 on a fresh install).
        return f"{settings.SITE_URL}{reverse('account_confirm_email', args=[emailconfirmation.key])}"

    def send_mail(self, template_prefix, email, context):
        # As allauth's own send_mail, but the worker sends the rendered message, and the site the
        # email names is SITE_URL's (the Sites framework says 127.0.0.1:8000 until staff change it).
        request = allauth_context.request
        site = SimpleNamespace(domain=urlsplit(settings.SITE_URL).netloc, name=settings.PRODUCT_NAME)
        ctx = {"request": request, "email": email, **context, "current_site": site}
        message = self.render_mail(template_prefix, email, ctx)
        html = next((content for content, mime in getattr(message, "alternatives", []) if mime == "text/html"), "")
        if message.content_subtype == "html":
            html = message.body
        payload = {
            "template": template_prefix,
            "subject": message.subject,
            "body": message.body,
            "from_email": message.from_email,
            "to": list(message.to),
            "headers": dict(message.extra_headers or {}),
            "html": html,
        }
        emails.send_message(payload)  # sign-in and security mail: always sent


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        user.auth_provider = sociallogin.account.provider
        user.auth_provider_id = str(sociallogin.account.uid)
        return user

    def save_user(self, request, sociallogin, form=None):
        with transaction.atomic():
            user = super().save_user(request, sociallogin, form=form)
            services.ensure_user_records(user=user)
            if any(address.verified and address.primary for address in sociallogin.email_addresses):
                services.mark_email_verified(user=user, request=request)
            services.record_audit_event(
                actor=user,
                action="account.signed_up",
                target=user,
                details={"provider": sociallogin.account.provider},
                request=request,
            )
        return user
