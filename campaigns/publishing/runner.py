"""The publish run (queue `sync`): claim with attempt, a fenced lease, one Meta object per step.

Discipline (DESIGN.md section 3, "Jobs: one runner"): the claim records the attempt under the row
lock; before every write to Meta the attempt checks it still owns the run and refreshes its lease;
a Meta id is stored the moment Meta returns it, only into an empty slot, so a losing attempt never
overwrites what a committed row refers to (and deletes its own duplicate instead); requeue is by
attempt; a capped sweep re-queues runs whose lease ran out. Before creating anything the step
looks for it at Meta by its publish key (part of the object's name), so a retry after a worker
died between Meta's answer and our commit finds the object instead of creating a second one.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from campaigns import enqueue
from campaigns.connections import services as connection_services
from campaigns.connections.models import MetaConnection
from campaigns.meta import client as meta
from campaigns.meta.errors import MetaAuthError, MetaError, MetaInvalidRequest, MetaRateLimited, MetaTransientError
from campaigns.publishing import builders
from campaigns.publishing.models import (
    Campaign,
    CampaignAsset,
    CampaignStatus,
    PublishRun,
    PublishStep,
    RunKind,
    RunStatus,
    StepKind,
    StepStatus,
)
from credits import services as credit_services
from credits.constants import HoldStatus, Operation
from credits.errors import CreditError

logger = logging.getLogger(__name__)

EDGES = {StepKind.CAMPAIGN: "campaigns", StepKind.ADSET: "adsets", StepKind.CREATIVE: "adcreatives", StepKind.AD: "ads"}
HINTS = {
    StepKind.IMAGE: "Check the creative's image in the wizard's Creatives step, then resume.",
    StepKind.CAMPAIGN: "Change the goal or budget Meta names above, then resume or delete and publish again.",
    StepKind.ADSET: "Change the budget, schedule or audience Meta names above, then resume or delete and publish again.",
    StepKind.CREATIVE: "Change the ad's words, link or Page Meta names above, then resume or delete and publish again.",
    StepKind.AD: "Change what Meta names above, then resume.",
}


class LostLease(Exception):
    """Another attempt owns the run now: this one stops without writing."""


@dataclass
class Attempt:
    run_id: object
    number: int
    token: str
    account_id: str
    connection_id: object


def _lease_until():
    return timezone.now() + timedelta(seconds=settings.CAMPAIGN_PUBLISH_LEASE_SECONDS)


def _claim(run_id) -> PublishRun | None:
    now = timezone.now()
    with transaction.atomic():
        run = PublishRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status not in {RunStatus.QUEUED, RunStatus.WAITING}:
            return None
        if run.retry_at and run.retry_at > now:
            return None  # an early message: the delayed one (or the sweep) comes back on time
        if run.attempts - run.rate_limit_waits >= run.max_attempts:
            _finish_failed(
                run,
                step=None,
                message="Meta kept failing; the run stopped after its last attempt.",
                hint="Resume later, or delete what was created.",
            )
            return None
        run.attempts += 1
        run.status = RunStatus.RUNNING
        run.lease_expires_at = _lease_until()
        run.retry_at = None
        run.started_at = run.started_at or now
        run.save(update_fields=["attempts", "status", "lease_expires_at", "retry_at", "started_at", "updated_at"])
        return run


def _fence(attempt: Attempt) -> None:
    """Before each write to Meta: still ours? Then the lease is extended."""
    owned = PublishRun.objects.filter(pk=attempt.run_id, attempts=attempt.number, status=RunStatus.RUNNING).update(
        lease_expires_at=_lease_until()
    )
    if not owned:
        raise LostLease()


def run_publish(*, run_id) -> str:
    """Run (or continue) a publish or delete run. Safe to call twice: only the claim's winner works."""
    run = _claim(run_id)
    if run is None:
        return "skipped"
    connection = MetaConnection.objects.filter(user_id=run.user_id).first()
    campaign = Campaign.objects.select_related("ad_account", "page").get(pk=run.campaign_id)
    if connection is None or not connection.can_publish:
        _needs_reauth(run, attempt_number=run.attempts, connection=connection, step=None)
        return "needs_reauth"
    attempt = Attempt(run.pk, run.attempts, connection.access_token, campaign.ad_account.account_id, connection.pk)
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
        logger.info("Publish attempt lost its lease", extra={"run_id": str(run_id), "attempt": attempt.number})
        return "lost"
    except MetaRateLimited as exc:
        _wait(attempt, current, exc, exc.wait_seconds, rate_limited=True)
        return "waiting"
    except MetaAuthError as exc:
        _needs_reauth(run, attempt_number=attempt.number, connection=connection, step=current, error=exc)
        return "needs_reauth"
    except MetaTransientError as exc:
        if run.attempts - run.rate_limit_waits < run.max_attempts:
            backoff = min(settings.CELERY_MAX_COUNTDOWN, 15 * 2 ** (run.attempts - run.rate_limit_waits))
            _wait(attempt, current, exc, int(backoff * random.uniform(0.8, 1.2)))  # noqa: S311 (jitter)
            return "waiting"
        _fail(attempt, current, exc)
        return "failed"
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
def _owned_run(attempt: Attempt) -> PublishRun | None:
    run = PublishRun.objects.select_for_update().get(pk=attempt.run_id)
    if run.attempts != attempt.number or run.status != RunStatus.RUNNING:
        return None
    return run


def _finish_published(attempt: Attempt, run: PublishRun) -> str:
    with transaction.atomic():
        run = _owned_run(attempt)
        if run is None:
            return "lost"
        _settle_credits(run)
        now = timezone.now()
        run.status, run.completed_at, run.lease_expires_at = RunStatus.SUCCEEDED, now, None
        run.save(update_fields=["status", "completed_at", "lease_expires_at", "updated_at"])
        counts = {kind: run.steps.filter(kind=kind).count() for kind in StepKind.values}
        Campaign.objects.filter(pk=run.campaign_id).update(
            status=CampaignStatus.PUBLISHED,
            delivery_status=run.initial_status,
            updated_at=now,
            last_publish_result=(
                f"Published {now:%Y-%m-%d %H:%M} UTC: {counts['ad']} ads, "
                f"{counts['image']} images, {run.get_initial_status_display().lower()}."
            ),
        )
    logger.info("Campaign published", extra={"run_id": str(run.pk), "attempt": attempt.number})
    return "done"


def _settle_credits(run: PublishRun) -> None:
    if run.hold_id and run.hold.status == HoldStatus.HELD:
        credit_services.capture_hold(hold_id=run.hold_id)
        return
    if run.credits_quoted:  # the hold expired while the run waited: charge through a fresh one
        try:
            hold = credit_services.hold_credits(
                user=run.user,
                amount=run.credits_quoted,
                reference_type="campaign_publish",
                reference_id=str(run.pk),
                operation=Operation.CAMPAIGN_PUBLISH,
                idempotency_key=f"publish-{run.pk}",
            )
            credit_services.capture_hold(hold_id=hold.pk)
        except CreditError:
            logger.warning("Publish could not be charged", extra={"run_id": str(run.pk)})


def _finish_deleted(attempt: Attempt, campaign: Campaign) -> str:
    with transaction.atomic():
        run = _owned_run(attempt)
        if run is None:
            return "lost"
        run.status, run.completed_at, run.lease_expires_at = RunStatus.DELETED, timezone.now(), None
        run.save(update_fields=["status", "completed_at", "lease_expires_at", "updated_at"])
        Campaign.objects.filter(pk=campaign.pk).update(
            status=CampaignStatus.DRAFT,
            meta_campaign_id="",
            meta_adset_id="",
            delivery_status="",
            last_publish_result="What the stopped publish created was deleted from Meta; the draft can be changed.",
        )
        CampaignAsset.objects.filter(campaign=campaign).update(meta_creative_id="", meta_ad_id="")
    return "deleted"


def _stop(
    attempt_number: int,
    run: PublishRun,
    status: str,
    *,
    step,
    message: str,
    hint: str,
    code=None,
    retry_at=None,
    rate_limited: bool = False,
) -> bool:
    with transaction.atomic():
        updated = PublishRun.objects.filter(pk=run.pk, attempts=attempt_number, status=RunStatus.RUNNING)
        fields = {
            "status": status,
            "error_step": step.label if step else "",
            "error_code": code,
            "error_message": message,
            "error_hint": hint,
            "lease_expires_at": None,
            "retry_at": retry_at,
            "updated_at": timezone.now(),
        }
        if not updated.update(**fields):
            return False
        if rate_limited:
            PublishRun.objects.filter(pk=run.pk).update(rate_limit_waits=run.rate_limit_waits + 1)
        if step is not None and status != RunStatus.WAITING:
            PublishStep.objects.filter(pk=step.pk, status=StepStatus.PENDING).update(
                status=StepStatus.FAILED, error_message=message
            )
        if status != RunStatus.WAITING:
            Campaign.objects.filter(pk=run.campaign_id).update(
                status=CampaignStatus.PARTIAL,
                last_publish_result=f"Stopped at {step.label if step else 'start'}: {message}"[:500],
            )
    return True


def _wait(attempt: Attempt, step, exc: MetaError, seconds: int, *, rate_limited: bool = False) -> None:
    run = PublishRun.objects.get(pk=attempt.run_id)
    seconds = max(1, int(seconds))
    if _stop(
        attempt.number,
        run,
        RunStatus.WAITING,
        step=step,
        message=exc.explanation,
        code=exc.code,
        hint=f"Meta asked CraftAds to wait; the run continues by itself in {seconds} s.",
        retry_at=timezone.now() + timedelta(seconds=seconds),
        rate_limited=rate_limited,
    ):
        logger.info("Publish waits", extra={"run_id": str(run.pk), "seconds": seconds, "code": exc.code})
        transaction.on_commit(lambda: enqueue.publish_run(run.pk, countdown=seconds))


def _fail(attempt: Attempt, step, exc: MetaError) -> None:
    run = PublishRun.objects.get(pk=attempt.run_id)
    _stop(
        attempt.number,
        run,
        RunStatus.FAILED,
        step=step,
        message=exc.explanation,
        code=exc.code,
        hint=HINTS.get(step.kind, "") if step else "Check the connection and the ad account, then resume.",
    )


def _finish_failed(run: PublishRun, *, step, message: str, hint: str) -> None:
    run.status, run.error_message, run.error_hint, run.lease_expires_at = RunStatus.FAILED, message, hint, None
    run.save(update_fields=["status", "error_message", "error_hint", "lease_expires_at", "updated_at"])
    Campaign.objects.filter(pk=run.campaign_id).update(status=CampaignStatus.PARTIAL, last_publish_result=message)


def _needs_reauth(run: PublishRun, *, attempt_number: int, connection, step, error: MetaAuthError | None = None):
    message = "Meta no longer accepts CraftAds' access. Connect Meta again, then resume."
    _stop(
        attempt_number,
        run,
        RunStatus.NEEDS_REAUTH,
        step=step,
        message=message,
        code=error.code if error else None,
        hint="Campaigns → Connection → Connect Meta, then Resume on this campaign.",
    )
    if connection is not None:
        connection_services.mark_needs_reauth(connection_id=connection.pk, error=error)


# -- sweep --------------------------------------------------------------------------
def sweep_publish_runs(*, now=None, limit: int = 200) -> dict[str, int]:
    """Re-queue runs whose lease ran out (their worker died) and runs whose wait is over."""
    now = now or timezone.now()
    result = {"requeued": 0, "resent": 0}
    stale = PublishRun.objects.filter(status=RunStatus.RUNNING, lease_expires_at__lt=now).values_list("pk", "attempts")[
        :limit
    ]
    for run_id, attempts in stale:
        if PublishRun.objects.filter(pk=run_id, attempts=attempts, status=RunStatus.RUNNING).update(
            status=RunStatus.QUEUED, lease_expires_at=None, updated_at=now
        ):
            result["requeued"] += 1
            transaction.on_commit(lambda run_id=run_id: enqueue.publish_run(run_id))
    due = PublishRun.objects.filter(status=RunStatus.WAITING, retry_at__lte=now).values_list("pk", flat=True)[:limit]
    for run_id in due:
        result["resent"] += 1
        transaction.on_commit(lambda run_id=run_id: enqueue.publish_run(run_id))
    return result
