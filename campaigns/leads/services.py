"""Leads: a visitor's form submission on a published page, stored with the conversion it counts as.

Spam is turned away before anything is stored: a honeypot field, a signed form token that must be
at least `LEAD_MIN_SECONDS` old (and at most a day), and a rate limit per address and page. The
owner is emailed and the user's `lead.created` webhooks are queued after the lead commits.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from campaigns import enqueue
from campaigns.integrations import webhooks
from campaigns.leads import attribution
from campaigns.leads.models import Conversion, Lead
from campaigns.pages import components as schema
from campaigns.pages.models import LandingPage, PageVersion
from craftplatform import ratelimit
from craftplatform.errors import DomainError

logger = logging.getLogger(__name__)

TOKEN_SALT = "campaigns.lead-form"  # noqa: S105 (a signing salt, not a secret)
PHONE = re.compile(r"^[0-9+()./ -]{5,40}$")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class LeadRejected(DomainError):
    """The form is not accepted; `errors` maps field names to messages shown beside them."""

    def __init__(self, message: str | None = None, *, errors: dict[str, str] | None = None, status: int = 400):
        self.errors = errors or {}
        self.status = status
        super().__init__(message or "Please check the form.", code="lead_rejected")


class SpamSuspected(DomainError):
    """A honeypot or a bot-speed submission: answered like a success, stored nowhere."""


def form_token() -> str:
    return signing.dumps(int(timezone.now().timestamp()), salt=TOKEN_SALT)


def _check_token(token: str) -> None:
    try:
        issued = signing.loads(token or "", salt=TOKEN_SALT, max_age=24 * 3600)
    except signing.SignatureExpired:
        raise LeadRejected("The form was open too long: please send it again.") from None
    except signing.BadSignature:
        raise LeadRejected("The form could not be read: please reload the page and send it again.") from None
    if timezone.now().timestamp() - int(issued) < settings.LEAD_MIN_SECONDS:
        raise SpamSuspected("sent faster than a person types")


def find_form(version: PageVersion, component_id: str) -> dict:
    forms = [item for item in version.components if item["type"] == "lead_form"]
    for item in forms:
        if item["id"] == component_id:
            return item
    if forms and not component_id:
        return forms[0]
    raise LeadRejected("This form is not on the page any more: please reload it.")


def clean_submission(form: dict, data: Mapping) -> dict:
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    custom: dict[str, str] = {}
    for name, label, required in schema.form_field_names(form["props"]):
        raw = str(data.get(name, "") or "").replace("\x00", "").strip()
        limit = 2000 if name == "message" else 254 if name == "email" else 200
        if len(raw) > limit:
            errors[name] = f"At most {limit} characters."
        elif required and not raw:
            errors[name] = f"{label} is required."
        elif raw and name == "email":
            try:
                validate_email(raw)
            except ValidationError:
                errors[name] = "Enter a valid email address."
        elif raw and name == "phone" and not PHONE.match(raw):
            errors[name] = "Enter a phone number (digits, spaces, + and brackets)."
        values[name] = raw
        if name.startswith("custom_"):
            custom[label] = raw
    if errors:
        raise LeadRejected(errors=errors)
    values["custom"] = custom
    return values


def submit_lead(
    *,
    page: LandingPage,
    data: Mapping,
    address: str | None,
    country: str = "",
    referrer: str = "",
) -> Lead:
    version = page.published_version
    if version is None or page.status != "published":
        raise LeadRejected("This page is no longer available.", status=410)
    if data.get("website"):
        raise SpamSuspected("honeypot filled")
    limit = ratelimit.hit(
        "lead-form", f"{page.pk}:{address or '-'}", limit=settings.LEAD_RATE_LIMIT, window=settings.LEAD_RATE_WINDOW
    )
    if not limit.allowed:
        raise LeadRejected("Too many submissions from your network: please try again later.", status=429)
    form = find_form(version, str(data.get("component", "")))
    values = clean_submission(form, data)
    _check_token(str(data.get("ts", "")))
    attrs = attribution.from_params(data)
    with transaction.atomic():
        lead = Lead.objects.create(
            user=page.user,
            page=page,
            version=version,
            name=values.get("name", ""),
            email=values.get("email", ""),
            phone=values.get("phone", ""),
            message=values.get("message", ""),
            custom_fields=values["custom"],
        )
        conversion = Conversion.objects.create(
            user=page.user,
            page=page,
            lead=lead,
            version_number=version.number,
            conversion_type=page.conversion_type,
            value=page.conversion_value,
            currency=page.currency,
            event_id=uuid.uuid4().hex,
            referrer=str(referrer or "")[:500],
            country=(country or "")[:2].upper(),
            **attrs,
        )
        webhooks.queue_event(
            user=page.user, event="lead.created", event_id=conversion.event_id, payload=lead_payload(lead, conversion)
        )
        if page.notify_owner:
            transaction.on_commit(lambda: enqueue.send(enqueue.SEND_LEAD_EMAIL, str(lead.pk)))
    logger.info("lead stored", extra={"page_id": str(page.pk), "lead_id": str(lead.pk)})
    return lead


def lead_payload(lead: Lead, conversion: Conversion | None) -> dict:
    payload = {
        "id": str(lead.pk),
        "page": {"id": str(lead.page_id), "name": lead.page.name, "slug": lead.page.slug},
        "created_at": lead.created_at.isoformat(),
        "name": lead.name,
        "email": lead.email,
        "phone": lead.phone,
        "message": lead.message,
        "custom_fields": lead.custom_fields,
    }
    if conversion is not None:
        payload["conversion"] = {
            "event_id": conversion.event_id,
            "type": conversion.conversion_type,
            "value": str(conversion.value),
            "currency": conversion.currency,
            "version": conversion.version_number,
            **{
                key: getattr(conversion, key)
                for key in (*attribution.UTM_KEYS, "fbclid", "campaign_ref", "ad_ref", "creative_ref")
            },
        }
    return payload


def send_lead_email(*, lead_id) -> bool:
    """Email the page's owner about a lead, once (the task may run twice)."""
    with transaction.atomic():
        lead = Lead.objects.select_for_update().select_related("page", "user").filter(pk=lead_id).first()
        if lead is None or lead.owner_notified_at is not None:
            return False
        context = {"lead": lead, "page": lead.page, "site_url": settings.SITE_URL}
        body = render_to_string("campaigns/leads/lead_email.txt", context)
        message = {
            "subject": f"New lead from {lead.page.name}",
            "body": body,
            "to": [lead.user.email],
            "template": "campaigns.lead_created",
        }
        lead.owner_notified_at = timezone.now()
        lead.save(update_fields=["owner_notified_at"])
        transaction.on_commit(lambda: enqueue.send(enqueue.SEND_EMAIL, message))
    return True


def _cell(value) -> str:
    text = str(value if value is not None else "")
    return "'" + text if text.startswith(FORMULA_START) else text


CSV_COLUMNS = [
    "created_at",
    "page",
    "name",
    "email",
    "phone",
    "message",
    "custom_fields",
    "conversion_type",
    "value",
    "currency",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
    "fbclid",
    "campaign_ref",
    "ad_ref",
    "creative_ref",
    "referrer",
    "country",
]


def leads_csv(leads: Iterable[Lead]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for lead in leads:
        conversion = getattr(lead, "conversion", None)
        row = {
            "created_at": lead.created_at.isoformat(),
            "page": lead.page.name,
            "name": lead.name,
            "email": lead.email,
            "phone": lead.phone,
            "message": lead.message,
            "custom_fields": "; ".join(f"{k}: {v}" for k, v in (lead.custom_fields or {}).items()),
        }
        for key in CSV_COLUMNS[7:]:
            row[key] = getattr(conversion, key if key != "value" else "value", "") if conversion else ""
        writer.writerow([_cell(row[key]) for key in CSV_COLUMNS])
    return buffer.getvalue()


def delete_lead(*, lead: Lead) -> None:
    lead.delete()


def purge_expired_leads(*, now=None) -> int:
    """Delete leads older than their page's retention setting (0 keeps them)."""
    now = now or timezone.now()
    deleted = 0
    pages = LandingPage.objects.filter(lead_retention_days__gt=0).values_list("pk", "lead_retention_days")
    for page_id, days in pages.iterator():
        count, _ = Lead.objects.filter(page_id=page_id, created_at__lt=now - timedelta(days=days)).delete()
        deleted += count
    return deleted
