"""Changing a published campaign from CraftAds: pause, activate, archive, budget, end date.

Each change is pushed to Meta first and recorded (who, when, before → after); a change Meta
refuses is recorded as refused with Meta's words and changes nothing here.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.services import record_audit_event
from campaigns.connections import services as connection_services
from campaigns.connections.models import MetaConnection
from campaigns.meta import client as meta
from campaigns.meta.errors import MetaAuthError, MetaError
from campaigns.publishing import rules
from campaigns.publishing.models import BudgetLevel, BudgetType, Campaign, CampaignAsset, CampaignChange, CampaignStatus
from campaigns.publishing.services import CampaignError
from craftplatform import ratelimit

STATUS_ACTIONS = {"pause": "PAUSED", "activate": "ACTIVE", "archive": "ARCHIVED"}


def _token(campaign: Campaign) -> tuple[MetaConnection, str]:
    connection = MetaConnection.objects.filter(user_id=campaign.user_id).first()
    if connection is None or not connection.can_publish:
        raise CampaignError("Connect Meta again first: changes are sent to Meta.")
    return connection, connection.access_token


def _limited(actor) -> None:
    limit = ratelimit.hit("campaign-change", actor.pk, limit=settings.CAMPAIGN_PUBLISH_RATE_LIMIT * 4, window=3600)
    if not limit.allowed:
        raise CampaignError("Too many changes this hour; try again later.")


def _push(
    campaign: Campaign,
    *,
    actor,
    action: str,
    field: str,
    before: str,
    after: str,
    object_id: str,
    params: dict,
    request=None,
) -> CampaignChange:
    connection, token = _token(campaign)
    try:
        meta.update(token, object_id, params)
    except MetaError as exc:
        CampaignChange.objects.create(
            campaign=campaign,
            actor=actor,
            action=action,
            field=field,
            before=before,
            after=after,
            meta_object_id=object_id,
            pushed=False,
            error_message=exc.explanation,
        )
        if isinstance(exc, MetaAuthError):
            connection_services.mark_needs_reauth(connection_id=connection.pk, error=exc)
        raise CampaignError(f"Meta refused the change: {exc.explanation}") from None
    change = CampaignChange.objects.create(
        campaign=campaign,
        actor=actor,
        action=action,
        field=field,
        before=before,
        after=after,
        meta_object_id=object_id,
        pushed=True,
    )
    record_audit_event(
        actor=actor,
        action=f"campaigns.{action}",
        target=campaign,
        details={"field": field, "before": before, "after": after},
        request=request,
    )
    return change


def _published(campaign: Campaign) -> None:
    if campaign.status != CampaignStatus.PUBLISHED or not campaign.meta_campaign_id:
        raise CampaignError("Only a published campaign can be changed at Meta.")


def change_status(*, campaign: Campaign, actor, action: str, request=None) -> Campaign:
    _published(campaign)
    if action not in STATUS_ACTIONS:
        raise CampaignError("Unknown action.")
    _limited(actor)
    after = STATUS_ACTIONS[action]
    if campaign.delivery_status == "ARCHIVED":
        raise CampaignError("An archived campaign cannot be changed.")
    _push(
        campaign,
        actor=actor,
        action=action,
        field="status",
        before=campaign.delivery_status,
        after=after,
        object_id=campaign.meta_campaign_id,
        params={"status": after},
        request=request,
    )
    Campaign.objects.filter(pk=campaign.pk).update(delivery_status=after, updated_at=timezone.now())
    campaign.delivery_status = after
    return campaign


def change_budget(*, campaign: Campaign, actor, amount: int, request=None) -> Campaign:
    _published(campaign)
    _limited(actor)
    errors = rules.budget_errors(
        budget_type=campaign.budget_type,
        amount=amount,
        currency=campaign.currency,
        account_currency=None,
        start=campaign.start_time,
        end=campaign.end_time,
        now=campaign.start_time or timezone.now(),
    )
    if "budget_amount" in errors:
        raise CampaignError(errors["budget_amount"], {"budget_amount": errors["budget_amount"]})
    field = "daily_budget" if campaign.budget_type == BudgetType.DAILY else "lifetime_budget"
    object_id = campaign.meta_campaign_id if campaign.budget_level == BudgetLevel.CAMPAIGN else campaign.meta_adset_id
    _push(
        campaign,
        actor=actor,
        action="budget",
        field=field,
        before=str(campaign.budget_amount),
        after=str(amount),
        object_id=object_id,
        params={field: amount},
        request=request,
    )
    Campaign.objects.filter(pk=campaign.pk).update(budget_amount=amount, updated_at=timezone.now())
    campaign.budget_amount = amount
    return campaign


def change_end_time(*, campaign: Campaign, actor, end: datetime | None, request=None) -> Campaign:
    _published(campaign)
    _limited(actor)
    if end is None and campaign.budget_type == BudgetType.LIFETIME:
        raise CampaignError(
            "A lifetime budget needs an end date.", {"end_time": "A lifetime budget needs an end date."}
        )
    if end is not None and (end <= timezone.now() or (campaign.start_time and end <= campaign.start_time)):
        raise CampaignError(
            "The end must be in the future and after the start.",
            {"end_time": "The end must be in the future and after the start."},
        )
    before = campaign.end_time.isoformat() if campaign.end_time else ""
    after = end.isoformat() if end else ""
    with transaction.atomic():
        _push(
            campaign,
            actor=actor,
            action="end_date",
            field="end_time",
            before=before,
            after=after,
            object_id=campaign.meta_adset_id,
            params={"end_time": after or 0},
            request=request,
        )
        Campaign.objects.filter(pk=campaign.pk).update(end_time=end, updated_at=timezone.now())
    campaign.end_time = end
    return campaign


def change_ad_status(*, asset: CampaignAsset, actor, action: str, request=None) -> CampaignAsset:
    """Pause or activate one ad of a published campaign (optimisation rules act on single ads)."""
    campaign = asset.campaign
    _published(campaign)
    if action not in ("pause", "activate") or not asset.meta_ad_id:
        raise CampaignError("Only a published ad can be paused or activated.")
    _limited(actor)
    after = STATUS_ACTIONS[action]
    _push(
        campaign,
        actor=actor,
        action=f"ad_{action}",
        field="ad_status",
        before="",
        after=after,
        object_id=asset.meta_ad_id,
        params={"status": after},
        request=request,
    )
    return asset
