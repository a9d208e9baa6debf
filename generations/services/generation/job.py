"""The generation job, on the one runner (`craftplatform.jobs`): claim, render, complete or fail.

Completion creates the result `Asset`s, captures every hold and marks the generation completed in
one transaction under the row lock, fenced by the attempt; a hold that is no longer held fails the
job instead (nothing charged, no files kept). A provider failure that may pass is retried with
backoff by the runner until the attempt cap; any other failure releases the holds and says why.
"""

import logging
import time
from decimal import Decimal

from django.db.models import Sum

from craftplatform import jobs
from credits.errors import CreditError
from generations import notifications, providers
from generations.errors import InvalidGenerationRequest
from generations.models import Asset, AssetKind, Generation, ProviderCall
from generations.services import assets as asset_services
from generations.services.generation.render import Rendered, render_all
from generations.services.generation.request import OUTPUT_FORMATS
from templates_app.errors import TemplateSpecError, TextDoesNotFit
from templates_app.services import templates as template_services

logger = logging.getLogger(__name__)

INTERNAL_ERROR_MESSAGE = "Something went wrong while making your ads, and no credits were taken. Please try again."


def provider_cost(generation_id) -> Decimal:
    return ProviderCall.objects.filter(generation_id=generation_id).aggregate(total=Sum("cost"))["total"] or Decimal(0)


def _complete(generation: Generation, attempt: int, rendered: list[Rendered], started: float) -> None:
    output = generation.parameters.get("output_format", "png")
    expires = asset_services.retention_expiry(user=generation.user)

    def store(locked: Generation, captured: int) -> list[str]:
        Asset.objects.bulk_create(
            [
                Asset(
                    user_id=generation.user_id,
                    generation=locked,
                    kind=AssetKind.RESULT,
                    format_key=item.format_key,
                    file=item.stored,
                    thumbnail=item.thumb,
                    original_filename=item.name,
                    mime_type=OUTPUT_FORMATS[output],
                    file_format=output,
                    size_bytes=item.size,
                    width=item.width,
                    height=item.height,
                    metadata={
                        "watermarked": generation.watermarked,
                        "seed": generation.seed,
                        "legibility": item.adjustments,  # what the renderer changed so text reads
                    },
                    expires_at=expires,
                )
                for item in rendered
            ]
        )
        locked.credits_used = captured
        locked.provider_cost = provider_cost(locked.pk)
        locked.processing_time_ms = int((time.monotonic() - started) * 1000)
        locked.progress = dict.fromkeys(generation.formats, "done")
        template_services.record_template_use(template_id=generation.template_id)
        notifications.notify_on_commit(generation.pk)  # "your ads are ready", once this commits
        return ["credits_used", "provider_cost", "processing_time_ms", "progress"]

    jobs.complete(Generation, generation.pk, attempt=attempt, store=store)


def fail_generation(*, generation_id, message: str, code: str = "failed", attempt: int | None = None) -> bool:
    """Mark a queued or running generation failed and release its holds; False if it had ended."""
    # The runner sends Generation.failure_notice_task ("your ads could not be made") once this commits.
    return jobs.fail(Generation, generation_id, message=message, code=code, attempt=attempt)


def run_generation(*, generation_id) -> str:
    """The job: render every format, store the files, capture the holds. Safe to run twice.

    Returns what happened: "completed", "failed", "retrying" (a provider failure that may pass, sent
    again with backoff) or "skipped" (not queued, or another attempt owns it now).
    """
    try:
        attempt = jobs.claim(Generation, generation_id)
    except jobs.HoldsNotHeld:  # failed by the claim: nothing charged, the user told why
        return "failed"
    if attempt is None:
        return "skipped"
    generation = Generation.objects.select_related("template", "user").get(pk=generation_id)
    started = time.monotonic()
    holds = generation.job_hold_ids()

    def on_format(key: str, state: str, next_key: str | None = None) -> None:
        # One write per format: this one's state, the next one rendering, the lease (and holds) extended.
        generation.progress = {**generation.progress, key: state}
        if next_key:
            generation.progress[next_key] = "rendering"
        if not jobs.refresh_lease(
            Generation, generation.pk, attempt=attempt, hold_ids=holds, progress=generation.progress
        ):
            raise jobs.LostLease()

    failed = {"attempt": attempt}
    try:
        with asset_services.stored_files() as files:
            rendered = render_all(generation, files, on_format, attempt)
            _complete(generation, attempt, rendered, started)
    except jobs.LostLease:
        return "skipped"
    except jobs.HoldsNotHeld:
        fail_generation(
            generation_id=generation_id, message=jobs.HOLDS_RETURNED_MESSAGE, code="holds_released", **failed
        )
        return "failed"
    except providers.TransientProviderError as exc:
        return jobs.retry_later(
            Generation,
            generation_id,
            attempt=attempt,
            message=f"The AI provider is not answering right now ({exc.message}). No credits were taken; try again later.",
            code="provider_unavailable",
            retry_after=exc.retry_after,
        )
    except (providers.ProviderError, InvalidGenerationRequest, TextDoesNotFit, TemplateSpecError, CreditError) as exc:
        fail_generation(
            generation_id=generation_id, message=f"{exc.message} No credits were taken.", code=exc.code, **failed
        )
        return "failed"
    except Exception:
        logger.exception("generation failed", extra={"generation_id": str(generation_id)})
        fail_generation(generation_id=generation_id, message=INTERNAL_ERROR_MESSAGE, code="internal_error", **failed)
        return "failed"
    return "completed"
