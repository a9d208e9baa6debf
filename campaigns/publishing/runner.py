"""The publish run, a job on the shared runner (`craftplatform.jobs`, queue `sync`): one Meta object
per step.

The runner claims by attempt; before every write to Meta this attempt refreshes its lease (and
stops if it lost the run); a Meta id is stored the moment Meta returns it, only into an empty
slot, so a losing attempt never overwrites what a committed row refers to (and deletes its own
duplicate instead); waits and retries requeue by attempt; the shared sweep re-queues runs whose
lease ran out; completion captures the credit hold under the row lock. Before creating anything the step
looks for it at Meta by its publish key (part of the object's name), so a retry after a worker
died between Meta's answer and our commit finds the object instead of creating a second one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from campaigns.connections import services as connection_services
from campaigns.connections.models import MetaConnection
from campaigns.meta import client as meta
from campaigns.meta.errors import MetaAuthError, MetaError, MetaInvalidRequest, MetaRateLimited, MetaTransientError
from campaigns.publishing import builders
from campaigns.publishing.models import (
    NEEDS_REAUTH_CODE,
    Campaign,
    CampaignAsset,
    CampaignStatus,
    PublishRun,
    PublishStep,
    RunKind,
    StepKind,
    StepStatus,
)
from craftplatform import jobs
from craftplatform.jobs import LostLease

logger = logging.getLogger(__name__)

EDGES = {StepKind.CAMPAIGN: "campaigns", StepKind.ADSET: "adsets", StepKind.CREATIVE: "adcreatives", StepKind.AD: "ads"}
HINTS = {
    StepKind.IMAGE: "Check the creative's image in the wizard's Creatives step, then resume.",
    StepKind.CAMPAIGN: "Change the goal or budget Meta names above, then resume or delete and publish again.",
    StepKind.ADSET: "Change the budget, schedule or audience Meta names above, then resume or delete and publish again.",
    StepKind.CREATIVE: "Change the ad's words, link or Page Meta names above, then resume or delete and publish again.",
    StepKind.AD: "Change what Meta names above, then resume.",
}


@dataclass
class Attempt:
    run_id: object
    number: int
    token: str
    account_id: str
    hold_ids: list


def _fence(attempt: Attempt) -> None:
    """Before each write to Meta: still ours? Then the lease (and the hold) is extended."""
    if not jobs.refresh_lease(PublishRun, attempt.run_id, attempt=attempt.number, hold_ids=attempt.hold_ids):
        raise LostLease()


def run_publish(*, run_id) -> str:
    """Run (or continue) a publish or delete run. Safe to call twice: only the claim's winner works."""
    try:
        number = jobs.claim(PublishRun, run_id)
    except jobs.HoldsNotHeld:
        return "failed"  # the credits were returned while it waited: failed by the claim, user told
    if number is None:
        return "skipped"
    run = PublishRun.objects.select_related("hold").get(pk=run_id)
    now = timezone.now()
    if run.retry_at and run.retry_at > now:  # an early message: Meta's wait is not over
        jobs.requeue(PublishRun, run_id, attempt=number, countdown=(run.retry_at - now).total_seconds())
        return "early"
    connection = MetaConnection.objects.filter(user_id=run.user_id).first()
    campaign = Campaign.objects.select_related("ad_account", "page").get(pk=run.campaign_id)
    if connection is None or not connection.can_publish:
        _needs_reauth(run, number, connection=connection, step=None)
        return "needs_reauth"
    attempt = Attempt(run.pk, number, connection.access_token, campaign.ad_account.account_id, run.job_hold_ids())
    current: PublishStep | None = None
    try:
        steps = list(run.steps.select_related("asset__campaign__page", "source_asset").order_by("position"))
        if run.kind == RunKind.DELETE:
            for current in reversed(steps):
                _delete_step(attempt, current)
            return _finish_deleted(attempt, campaign)
        for current in steps:
            if current.status != StepStatus.DONE:
                _publish_step(attempt, current, campaign, run)
        current = None
        if run.initial_status == "ACTIVE":
            _fence(attempt)
            meta.update(attempt.token, _campaign_id(run), {"status": "ACTIVE"})
        return _finish_published(attempt, run)
    except LostLease:
        logger.info("Publish attempt lost its lease", extra={"run_id": str(run_id), "attempt": number})
        return "lost"
    except MetaRateLimited as exc:
        return _wait(attempt, run, current, exc)
    except MetaAuthError as exc:
        _needs_reauth(run, number, connection=connection, step=current, error=exc)
        return "needs_reauth"
    except MetaTransientError as exc:
        _record_error(attempt, current, exc)
        return jobs.retry_later(PublishRun, run_id, attempt=number, message=exc.explanation, code="meta_transient")
    except MetaError as exc:
        _fail(attempt, current, exc)
        return "failed"


# -- steps --------------------------------------------------------------------------
def _step_id(run_id, kind: str, asset_id=None) -> str:
    query = PublishStep.objects.filter(run_id=run_id, kind=kind)
    if asset_id is not None:
        query = query.filter(asset_id=asset_id)
    return query.values_list("meta_id", flat=True).first() or ""


def _campaign_id(run: PublishRun) -> str:
    return _step_id(run.pk, StepKind.CAMPAIGN)


def _publish_step(attempt: Attempt, step: PublishStep, campaign: Campaign, run: PublishRun) -> None:
    if step.kind == StepKind.IMAGE:
        found = meta.find_images(attempt.token, account_id=attempt.account_id, hashes=[step.image_hash])
        if step.image_hash in found:
            _store(attempt, step, step.image_hash, reused=True)
            return
        with step.source_asset.file.open("rb") as handle:
            content = handle.read()
        _fence(attempt)
        image = meta.upload_image(
            attempt.token,
            account_id=attempt.account_id,
            content=content,
            name=f"{step.publish_key}.{step.source_asset.file_format or 'png'}",
        )
        _store(attempt, step, str(image["hash"]))
        return
    existing = meta.find_by_name(
        attempt.token, account_id=attempt.account_id, edge=EDGES[step.kind], contains=f"[{step.publish_key}]"
    )
    if existing:
        _store(attempt, step, str(existing[0]["id"]), reused=True)
        return
    status = run.initial_status
    if step.kind == StepKind.CAMPAIGN:
        params = builders.campaign_params(campaign, step.publish_key)
    elif step.kind == StepKind.ADSET:
        params = builders.adset_params(campaign, step.publish_key, meta_campaign_id=_campaign_id(run), status=status)
    elif step.kind == StepKind.CREATIVE:
        params = builders.creative_params(step.asset, step.publish_key, hashes=builders.ad_hashes(step.asset))
    else:
        params = builders.ad_params(
            step.asset,
            step.publish_key,
            adset_id=_step_id(run.pk, StepKind.ADSET),
            creative_id=_step_id(run.pk, StepKind.CREATIVE, step.asset_id),
            status=status,
        )
    _fence(attempt)
    _store(
        attempt, step, meta.create(attempt.token, account_id=attempt.account_id, edge=EDGES[step.kind], params=params)
    )


def _store(attempt: Attempt, step: PublishStep, meta_id: str, *, reused: bool = False) -> None:
    """Written at once, only into an empty slot: an id already stored is never overwritten."""
    now = timezone.now()
    with transaction.atomic():
        stored = PublishStep.objects.filter(pk=step.pk, meta_id="").update(
            meta_id=meta_id, status=StepStatus.DONE, reused=reused, completed_at=now, error_message=""
        )
        if stored:
            _mirror(step, meta_id)
    if not stored:
        kept = PublishStep.objects.values_list("meta_id", flat=True).get(pk=step.pk)
        if kept != meta_id and step.kind != StepKind.IMAGE and not reused:
            meta.delete(attempt.token, meta_id)  # our own duplicate of what another attempt stored
        raise LostLease()
    step.meta_id, step.status = meta_id, StepStatus.DONE


def _mirror(step: PublishStep, meta_id: str) -> None:
    campaign_id = PublishRun.objects.values_list("campaign_id", flat=True).get(pk=step.run_id)
    if step.kind == StepKind.CAMPAIGN:
        Campaign.objects.filter(pk=campaign_id).update(meta_campaign_id=meta_id)
    elif step.kind == StepKind.ADSET:
        Campaign.objects.filter(pk=campaign_id).update(meta_adset_id=meta_id)
    elif step.kind == StepKind.CREATIVE:
        CampaignAsset.objects.filter(pk=step.asset_id).update(meta_creative_id=meta_id)
    elif step.kind == StepKind.AD:
        CampaignAsset.objects.filter(pk=step.asset_id).update(meta_ad_id=meta_id)


def _delete_step(attempt: Attempt, step: PublishStep) -> None:
    if step.kind == StepKind.IMAGE or step.status == StepStatus.DELETED:
        return
    meta_id = step.meta_id
    if not meta_id:
        # Created by an attempt that died before storing it? Its publish key finds it.
        found = meta.find_by_name(
            attempt.token, account_id=attempt.account_id, edge=EDGES[step.kind], contains=f"[{step.publish_key}]"
        )
        meta_id = str(found[0]["id"]) if found else ""
    if meta_id:
        _fence(attempt)
        try:
            meta.delete(attempt.token, meta_id)
        except MetaInvalidRequest as exc:
            if exc.code != 100:  # 100: it no longer exists at Meta, which is what we want
                raise
    PublishStep.objects.filter(pk=step.pk).update(status=StepStatus.DELETED, meta_id=meta_id)


# -- endings ------------------------------------------------------------------------
def _finish_published(attempt: Attempt, run: PublishRun) -> str:
    def store(job: PublishRun, captured: int) -> list[str]:
        now = timezone.now()
        counts = {kind: job.steps.filter(kind=kind).count() for kind in StepKind.values}
        Campaign.objects.filter(pk=job.campaign_id).update(
            status=CampaignStatus.PUBLISHED,
            delivery_status=job.initial_status,
            updated_at=now,
            last_publish_result=(
                f"Published {now:%Y-%m-%d %H:%M} UTC: {counts['ad']} ads, {counts['image']} images, "
                f"{job.get_initial_status_display().lower()}."
            ),
        )
        job.retry_at, job.error_step, job.error_hint, job.meta_error_code = None, "", "", None
        return ["retry_at", "error_step", "error_hint", "meta_error_code"]

    try:
        jobs.complete(PublishRun, attempt.run_id, attempt=attempt.number, store=store)
    except jobs.HoldsNotHeld:
        jobs.fail(
            PublishRun,
            attempt.run_id,
            message=jobs.HOLDS_RETURNED_MESSAGE,
            code="holds_released",
            attempt=attempt.number,
        )
        return "failed"
    logger.info("Campaign published", extra={"run_id": str(run.pk), "attempt": attempt.number})
    return "done"


def _finish_deleted(attempt: Attempt, campaign: Campaign) -> str:
    def store(job: PublishRun, captured: int) -> list[str]:
        Campaign.objects.filter(pk=campaign.pk).update(
            status=CampaignStatus.DRAFT,
            meta_campaign_id="",
            meta_adset_id="",
            delivery_status="",
            last_publish_result="What the stopped publish created was deleted from Meta; the draft can be changed.",
        )
        CampaignAsset.objects.filter(campaign=campaign).update(meta_creative_id="", meta_ad_id="")
        return []

    jobs.complete(PublishRun, attempt.run_id, attempt=attempt.number, store=store)
    return "deleted"


def _record_error(attempt: Attempt, step: PublishStep | None, exc: MetaError, *, hint: str = "", **extra) -> None:
    with jobs.fenced(PublishRun, attempt.run_id, attempt=attempt.number) as run:
        run.error_step = step.label[:255] if step else ""
        run.meta_error_code = exc.code
        run.error_message = exc.explanation
        run.error_hint = hint
        for name, value in extra.items():
            setattr(run, name, value)
        run.save(update_fields=["error_step", "meta_error_code", "error_message", "error_hint", "updated_at", *extra])


def _wait(attempt: Attempt, run: PublishRun, step, exc: MetaRateLimited) -> str:
    """Meta's rate limit: queued again for at least the time Meta asked (by attempt)."""
    seconds = max(1, int(exc.wait_seconds))
    _record_error(
        attempt,
        step,
        exc,
        hint=f"Meta asked CraftAds to wait; the run continues by itself in {seconds} s.",
        retry_at=timezone.now() + timedelta(seconds=seconds),
        rate_limit_waits=run.rate_limit_waits + 1,
    )
    if not jobs.requeue(PublishRun, attempt.run_id, attempt=attempt.number, countdown=seconds):
        return "lost"
    logger.info(
        "Publish waits for Meta's rate limit", extra={"run_id": str(run.pk), "seconds": seconds, "code": exc.code}
    )
    return "waiting"


def _fail(attempt: Attempt, step, exc: MetaError) -> None:
    hint = HINTS.get(step.kind, "") if step else "Check the connection and the ad account, then resume."
    if step is not None:
        PublishStep.objects.filter(pk=step.pk, status=StepStatus.PENDING).update(
            status=StepStatus.FAILED, error_message=exc.explanation
        )
    _record_error(attempt, step, exc, hint=hint)
    jobs.fail(PublishRun, attempt.run_id, message=exc.explanation, code="meta_refused", attempt=attempt.number)


def _needs_reauth(run: PublishRun, number: int, *, connection, step, error: MetaAuthError | None = None) -> None:
    message = "Meta no longer accepts CraftAds' access. Connect Meta again, then resume."
    try:
        _record_error(
            Attempt(run.pk, number, "", "", []),
            step,
            error or MetaAuthError(message),
            hint="Campaigns → Connection → Connect Meta, then Resume on this campaign.",
        )
    except LostLease:
        return
    jobs.fail(PublishRun, run.pk, message=message, code=NEEDS_REAUTH_CODE, attempt=number)
    if connection is not None:
        connection_services.mark_needs_reauth(connection_id=connection.pk, error=error)
