"""Drafting a campaign (each wizard step saves the draft), and asking for a publish, a resume or a
deletion. Checks run here, server-side; nothing reaches Meta before the review is confirmed."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.services import record_audit_event
from campaigns.connections.models import MetaAdAccount, MetaConnection, MetaPage
from campaigns.publishing import plan as plans
from campaigns.publishing import rules
from campaigns.publishing.models import (
    Campaign,
    CampaignAsset,
    CampaignStatus,
    DeliveryStatus,
    PublishRun,
    PublishStep,
    RunKind,
    SavedAudience,
    StepKind,
    StepStatus,
)
from craftplatform import jobs, ratelimit
from craftplatform.jobs import JobStatus
from credits import services as credit_services
from credits.constants import HoldStatus, Operation
from credits.errors import CreditError
from generations.models import Generation, GenerationStatus

WIZARD_STEPS = ["goal", "budget", "audience", "placements", "creatives", "review"]


class CampaignError(Exception):
    """Bad input or a state that does not allow the action. `errors` maps fields to messages."""

    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class CreativeNotFound(CampaignError):
    """Not one of the user's finished generations: pages and the API answer 404."""


def _editable(campaign: Campaign) -> None:
    if campaign.status not in {CampaignStatus.DRAFT}:
        raise CampaignError("This campaign is at Meta already: change it from its page (pause, budget, end date).")


def _connection(user) -> MetaConnection | None:
    return MetaConnection.objects.filter(user=user).first()


def create_draft(*, user, name: str) -> Campaign:
    name = (name or "").strip()
    if not name:
        raise CampaignError("Give the campaign a name.", {"name": "Give the campaign a name."})
    connection = _connection(user)
    account = page = None
    if connection is not None:
        account = connection.ad_accounts.filter(selected=True).first()
        page = connection.pages.filter(selected=True).first()
    campaign = Campaign.objects.create(
        user=user, name=name[:200], ad_account=account, page=page, currency=account.currency if account else ""
    )
    record_audit_event(actor=user, action="campaigns.draft_created", target=campaign)
    return campaign


def _advance(campaign: Campaign, step: str) -> None:
    following = WIZARD_STEPS[min(WIZARD_STEPS.index(step) + 1, len(WIZARD_STEPS) - 1)]
    if WIZARD_STEPS.index(following) > WIZARD_STEPS.index(campaign.wizard_step):
        campaign.wizard_step = following


def save_goal(
    *,
    campaign: Campaign,
    name: str,
    objective: str,
    special_ad_categories: list[str],
    ad_account: MetaAdAccount | None,
    page: MetaPage | None,
) -> Campaign:
    _editable(campaign)
    campaign.name = name
    campaign.objective = objective
    campaign.special_ad_categories = sorted(set(special_ad_categories))
    if ad_account is not None and ad_account.connection.user_id != campaign.user_id:
        raise CampaignError("Choose one of your ad accounts.", {"ad_account": "Choose one of your ad accounts."})
    if page is not None and page.connection.user_id != campaign.user_id:
        raise CampaignError("Choose one of your Pages.", {"page": "Choose one of your Pages."})
    if ad_account is not None and ad_account.pk != campaign.ad_account_id:
        campaign.currency = ad_account.currency
    campaign.ad_account, campaign.page = ad_account, page
    # A special category limits targeting: what the audience step saved must still fit.
    errors = rules.targeting_errors(campaign.targeting, campaign.special_ad_categories) if campaign.targeting else {}
    if errors:
        raise CampaignError("The saved audience does not fit this category's limits: change it first.", errors)
    _advance(campaign, "goal")
    campaign.save()
    return campaign


def save_budget(
    *,
    campaign: Campaign,
    budget_type: str,
    budget_level: str,
    amount: int,
    currency: str,
    start: datetime | None,
    end: datetime | None,
) -> Campaign:
    _editable(campaign)
    account_currency = campaign.ad_account.currency if campaign.ad_account else None
    errors = rules.budget_errors(
        budget_type=budget_type,
        amount=amount,
        currency=currency,
        account_currency=account_currency,
        start=start,
        end=end,
        now=timezone.now(),
    )
    if errors:
        raise CampaignError("Check the budget and schedule.", errors)
    campaign.budget_type, campaign.budget_level = budget_type, budget_level
    campaign.budget_amount, campaign.currency = amount, currency.upper()
    campaign.start_time, campaign.end_time = start, end
    _advance(campaign, "budget")
    campaign.save()
    return campaign


def save_audience(*, campaign: Campaign, targeting: dict, save_as: str = "") -> Campaign:
    _editable(campaign)
    errors = rules.targeting_errors(targeting, campaign.special_ad_categories)
    if errors:
        raise CampaignError("Check the audience.", errors)
    with transaction.atomic():
        campaign.targeting = targeting
        _advance(campaign, "audience")
        campaign.save()
        if save_as.strip():
            SavedAudience.objects.update_or_create(
                user=campaign.user, name=save_as.strip()[:120], defaults={"targeting": targeting}
            )
    return campaign


def save_placements(*, campaign: Campaign, mode: str, placements: list[str]) -> Campaign:
    _editable(campaign)
    formats = {fmt for asset in campaign.assets.all() for fmt in asset.formats}
    errors = rules.placement_errors(mode, placements, formats) if formats else {}
    if mode == "manual" and not placements:
        errors = rules.placement_errors(mode, placements, formats)
    if errors:
        raise CampaignError("Check the placements.", errors)
    campaign.placements_mode, campaign.placements = mode, placements if mode == "manual" else []
    _advance(campaign, "placements")
    campaign.save()
    return campaign


def add_creative(*, campaign: Campaign, generation_id, formats: list[str] | None = None) -> CampaignAsset:
    _editable(campaign)
    generation = Generation.objects.filter(
        pk=generation_id, user=campaign.user, status=GenerationStatus.COMPLETED
    ).first()
    if generation is None:
        raise CreativeNotFound("Choose one of your finished generations.", {"generation": "Not one of your creatives."})
    available = list(generation.formats)
    chosen = [fmt for fmt in (formats or available) if fmt in available]
    if not chosen:
        raise CampaignError("Choose at least one format of this creative.", {"formats": "No format chosen."})
    copy = generation.customization_data or {}
    asset, _ = CampaignAsset.objects.get_or_create(
        campaign=campaign,
        generation=generation,
        defaults={
            "formats": chosen,
            "position": campaign.assets.count(),
            "headline": str(copy.get("headline", ""))[:255],
            "primary_text": str(copy.get("body", "") or copy.get("subheadline", "")),
            "utm": {
                "source": "facebook",
                "medium": "paid_social",
                "campaign": rules.slug(campaign.name),
                "content": rules.slug(f"{generation.template.name}"),
            },
        },
    )
    return asset


def remove_creative(*, campaign: Campaign, asset_id) -> None:
    _editable(campaign)
    campaign.assets.filter(pk=asset_id).delete()


def save_creative_copy(
    *,
    asset: CampaignAsset,
    primary_text: str,
    headline: str,
    description: str,
    call_to_action: str,
    destination_url: str,
    utm: dict,
    formats: list[str],
) -> CampaignAsset:
    _editable(asset.campaign)
    errors = {}
    if error := rules.url_error(destination_url):
        errors["destination_url"] = error
    if call_to_action not in dict(rules.CALLS_TO_ACTION):
        errors["call_to_action"] = "Choose a call to action from the list."
    chosen = [fmt for fmt in formats if fmt in asset.generation.formats]
    if not chosen:
        errors["formats"] = "Choose at least one format of this creative."
    if not primary_text.strip():
        errors["primary_text"] = "Write the ad's primary text."
    if errors:
        raise CampaignError("Check this ad's words and link.", errors)
    asset.primary_text, asset.headline, asset.description = primary_text.strip(), headline.strip(), description.strip()
    asset.call_to_action, asset.destination_url = call_to_action, destination_url.strip()
    asset.utm = {k: rules.slug(v) if k != "source" else v.strip()[:40] for k, v in utm.items() if v}
    asset.formats = chosen
    asset.save()
    return asset


def save_naming(*, campaign: Campaign, pattern: str) -> Campaign:
    _editable(campaign)
    pattern = pattern.strip()
    if not pattern or len(pattern) > 200:
        raise CampaignError(
            "Enter a naming pattern.", {"naming_pattern": "Enter a naming pattern (up to 200 characters)."}
        )
    campaign.naming_pattern = pattern
    _advance(campaign, "creatives")
    campaign.save()
    return campaign


def ad_names(campaign: Campaign) -> dict:
    brand = getattr(getattr(campaign.user, "brand_profile", None), "name", "") or ""
    day = (campaign.start_time or campaign.created_at or timezone.now()).date()
    return {
        asset.pk: rules.ad_name(
            campaign.naming_pattern,
            brand=rules.slug(brand),
            goal=campaign.get_objective_display().lower(),
            template=rules.slug(asset.generation.template.name),
            fmt="-".join(f.replace(":", "x") for f in asset.formats),
            day=day,
            campaign=rules.slug(campaign.name),
        )
        for asset in campaign.assets.select_related("generation__template")
    }


# -- review and publish ------------------------------------------------------------
def review(*, campaign: Campaign) -> tuple[plans.Plan, dict[str, str]]:
    plan = plans.build_plan(campaign)
    return plan, plans.problems(campaign, plan, connection=_connection(campaign.user))


def _key(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(6)}"


def request_publish(*, user, campaign: Campaign, activate: bool = False) -> PublishRun:
    """The user confirmed the review: freeze the plan into steps, hold the price, queue the run."""
    limit = ratelimit.hit("campaign-publish", user.pk, limit=settings.CAMPAIGN_PUBLISH_RATE_LIMIT, window=3600)
    if not limit.allowed:
        raise CampaignError(f"Too many publishes this hour; try again in {limit.retry_after // 60 + 1} minutes.")
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk, user=user)
        _editable(campaign)
        plan, found = review(campaign=campaign)
        if found:
            raise CampaignError("Fix these before publishing.", found)
        names = ad_names(campaign)
        run = PublishRun.objects.create(
            campaign=campaign,
            user=user,
            kind=RunKind.PUBLISH,
            initial_status=DeliveryStatus.ACTIVE if activate else DeliveryStatus.PAUSED,
        )
        position = 0
        for image in plan.images:
            PublishStep.objects.create(
                run=run,
                kind=StepKind.IMAGE,
                position=position,
                publish_key=_key("ci"),
                label=f"Image {image.format_key}",
                source_asset=image.asset,
                format_key=image.format_key,
                image_hash=image.image_hash,
            )
            position += 1
        for kind, label in ((StepKind.CAMPAIGN, campaign.name), (StepKind.ADSET, f"{campaign.name} ad set")):
            PublishStep.objects.create(
                run=run, kind=kind, position=position, publish_key=_key("c" + kind[0]), label=label[:255]
            )
            position += 1
        for ad in plan.ads:
            asset = ad.campaign_asset
            asset.ad_name = names[asset.pk]
            asset.save(update_fields=["ad_name", "updated_at"])
            for kind in (StepKind.CREATIVE, StepKind.AD):
                PublishStep.objects.create(
                    run=run,
                    kind=kind,
                    position=position,
                    publish_key=_key("c" + kind[:2]),
                    label=asset.ad_name[:255],
                    asset=asset,
                )
                position += 1
        _hold_price(run)
        campaign.status = CampaignStatus.PUBLISHING
        campaign.last_publish_result = "Publishing…"
        campaign.save(update_fields=["status", "last_publish_result", "updated_at"])
        record_audit_event(
            actor=user,
            action="campaigns.publish_requested",
            target=campaign,
            details={"run_id": str(run.pk), "initial_status": run.initial_status, **plan.counts},
        )
        jobs.enqueue(PublishRun, run.pk)
    return run


def _hold_price(run: PublishRun) -> None:
    quote = credit_services.quote(user=run.user, operation=Operation.CAMPAIGN_PUBLISH)
    if not quote.allowed:
        raise CampaignError(quote.reason)
    run.credits_quoted = quote.total
    if quote.total:
        try:
            run.hold = credit_services.hold_credits(
                user=run.user,
                amount=quote.total,
                reference_type="campaign_publish",
                reference_id=str(run.pk),
                operation=Operation.CAMPAIGN_PUBLISH,
                description=f"Publish {run.campaign.name}",
            )
        except CreditError as exc:
            raise CampaignError(str(exc)) from None
    run.save(update_fields=["credits_quoted", "hold", "updated_at"])


def _reopen(run: PublishRun, *, kind: str) -> None:
    """A stopped run queued again; `attempts` keeps counting (it is the fencing token)."""
    reopened = PublishRun.objects.filter(pk=run.pk, status__in=[JobStatus.FAILED, JobStatus.CANCELLED]).update(
        **jobs.queued_fields(),
        kind=kind,
        retry_at=None,
        error_code="",
        error_message="",
        error_step="",
        error_hint="",
        meta_error_code=None,
        completed_at=None,
        hold=run.hold,
        credits_quoted=run.credits_quoted,
        updated_at=timezone.now(),
    )
    if not reopened:
        raise CampaignError("This publish is not stopped.")
    jobs.enqueue(PublishRun, run.pk)


def _connected(user) -> None:
    connection = _connection(user)
    if connection is None or not connection.can_publish:
        raise CampaignError("Connect Meta again first: the run continues once Meta accepts CraftAds' access.")


def resume_publish(*, user, run: PublishRun) -> PublishRun:
    """Continue a stopped run where it stopped: created objects keep their ids, nothing is made twice."""
    with transaction.atomic():
        run = PublishRun.objects.select_for_update(of=("self",)).select_related("hold").get(pk=run.pk, user=user)
        if not run.resumable or run.kind != RunKind.PUBLISH:
            raise CampaignError("This publish is not stopped, so there is nothing to resume.")
        _connected(user)
        if run.hold_id is None or run.hold.status != HoldStatus.HELD:
            run.hold = None  # the failure returned the credits: hold the price again
            _hold_price(run)
        PublishStep.objects.filter(run=run, status=StepStatus.FAILED).update(
            status=StepStatus.PENDING, error_message=""
        )
        Campaign.objects.filter(pk=run.campaign_id).update(
            status=CampaignStatus.PUBLISHING, last_publish_result="Resuming…"
        )
        _reopen(run, kind=RunKind.PUBLISH)
        record_audit_event(actor=user, action="campaigns.publish_resumed", target=run.campaign)
    return run


def delete_created(*, user, run: PublishRun) -> PublishRun:
    """Remove from Meta what a stopped run created (ads first); then the campaign is a draft again."""
    with transaction.atomic():
        run = PublishRun.objects.select_for_update().get(pk=run.pk, user=user)
        if not run.resumable:
            raise CampaignError("Only a stopped publish can be deleted.")
        _connected(user)
        run.hold, run.credits_quoted = None, 0  # deleting costs nothing
        _reopen(run, kind=RunKind.DELETE)
        record_audit_event(actor=user, action="campaigns.publish_delete_requested", target=run.campaign)
    return run
