"""Image operations (upscale, background removal, vectorise), on the one job runner.

The money path (DESIGN.md section 5): a request holds the operation's price in the same transaction
that creates the queued `ImageOperation`; the job is sent by name on commit (`craftplatform.jobs`).
The job claims the operation for one attempt, stores the result file under the attempt's own name
(removed again if anything after it fails), then creates the result `Asset`, captures the hold and
marks the operation completed in one transaction fenced by the attempt. A failure releases the hold
and says why; nothing is charged for it. A provider that may answer later is retried by the runner
with backoff until the attempts run out. Uploads are in `generations.services.uploads`.
"""

import io
import logging
import os
import time
import uuid
import warnings
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from PIL import Image, UnidentifiedImageError

from accounts import services as account_services
from craftplatform import jobs
from craftplatform.errors import DomainError
from credits import price_list
from credits import services as credit_services
from generations import imageops, providers
from generations.models import Asset, AssetKind, AssetStatus, ImageOperation, OperationStatus, OperationType
from generations.naming import readable_file_name
from generations.selectors import get_asset_for_user
from generations.services import assets as asset_services
from generations.services import priority as priority_services
from generations.services import providers as provider_services
from generations.services.uploads import (  # noqa: F401 (re-exported: callers upload through here too)
    MAX_FILES_PER_UPLOAD,
    UploadRejected,
    brand_name,
    thumbnail_name,
    upload_image,
    upload_images,
)

logger = logging.getLogger(__name__)

REFERENCE_TYPE = "image_operation"
RASTER_FORMATS = ("png", "jpeg", "webp")
OPENABLE_FORMATS = ("PNG", "JPEG", "WEBP")
# Labels in file names and messages.
OPERATION_LABELS = {
    OperationType.UPSCALE: "upscaled",
    OperationType.REMOVE_BACKGROUND: "no-background",
    OperationType.VECTORIZE: "vector",
}


class ImageOperationRefused(DomainError):
    """The operation cannot be asked for on this image (wrong kind of file, too large, bad factor)."""

    default_message = "This operation is not available for this image."


# -- requesting an operation ----------------------------------------------------------------------


def pricing_quantity(*, operation: str, factor: int | None) -> int:
    """Units of the operation's price: upscaling 4x costs two units, everything else one (credits.price_list)."""
    return price_list.units(operation=operation, factor=factor)


def _parse_factor(operation: str, factor) -> int | None:
    if operation != OperationType.UPSCALE:
        return None
    try:
        factor = int(factor)
    except (TypeError, ValueError):
        raise ImageOperationRefused("Choose how much to upscale: 2x or 4x.", code="invalid_factor") from None
    if factor not in imageops.UPSCALE_FACTORS:
        raise ImageOperationRefused("Upscaling is offered at 2x or 4x.", code="invalid_factor")
    return factor


def operation_problem(*, asset: Asset, operation: str, factor: int | None = None) -> str:
    """Why this operation cannot be done on this asset, in words; empty when it can."""
    if asset.status != AssetStatus.ACTIVE:
        return "This image has expired."
    if not asset.file:
        return "This image has no file."
    if asset.file_format == "svg":
        if operation == OperationType.VECTORIZE:
            return "This image is already an SVG."
        return "This needs a PNG, JPEG or WebP image; this one is an SVG."
    if asset.file_format not in RASTER_FORMATS:
        return "This needs a PNG, JPEG or WebP image."
    if asset.width and asset.height:
        if asset.width * asset.height > imageops.MAX_OUTPUT_PIXELS:
            return f"This image is larger than {imageops.MAX_OUTPUT_PIXELS / 1e6:.0f} MP."
        if operation == OperationType.UPSCALE and factor is not None:
            try:
                imageops.check_upscale(asset.width, asset.height, factor)
            except imageops.ImageOperationError as exc:
                return exc.message
    return ""


def _existing_request(user, request_key: str | None) -> ImageOperation | None:
    if not request_key:
        return None
    return ImageOperation.objects.filter(user=user, request_key=request_key).first()


def _same_request(existing: ImageOperation, *, asset_id, operation: str, factor) -> bool:
    wanted_factor = existing.parameters.get("factor")
    return (
        str(existing.source_id) == str(asset_id)
        and existing.operation_type == operation
        and (wanted_factor is None or str(wanted_factor) == str(factor))
    )


def _replay(existing: ImageOperation, *, asset_id, operation: str, factor) -> ImageOperation:
    if not _same_request(existing, asset_id=asset_id, operation=operation, factor=factor):
        raise ImageOperationRefused(
            "This request was already made for a different image or operation.", code="idempotency_key_reused"
        )
    return existing


def request_image_operation(
    *, user, asset_id, operation: str, factor: int | str | None = None, request_key: str | None = None
) -> ImageOperation:
    """Price an operation on one of the user's images, hold its credits and queue it.

    Raises Http404 for an image that is not the user's, ImageOperationRefused for a request that
    cannot be done, and the credits' DomainError (InsufficientCredits, OperationNotAllowed) when the
    user may not pay for it; nothing is created then. The same request_key returns the first operation.
    """
    request_key = (request_key or "").strip()[:100] or None
    existing = _existing_request(user, request_key)
    if existing is not None:
        return _replay(existing, asset_id=asset_id, operation=operation, factor=factor)
    asset = get_asset_for_user(user=user, asset_id=asset_id, include_expired=True)
    if operation not in OperationType.values:
        raise ImageOperationRefused(
            "Choose an operation: upscale, remove background or vectorize.", code="invalid_operation"
        )
    factor = _parse_factor(operation, factor)
    problem = operation_problem(asset=asset, operation=operation, factor=factor)
    if problem:
        raise ImageOperationRefused(problem, code="not_possible")

    operation_id = uuid.uuid4()
    quantity = pricing_quantity(operation=operation, factor=factor)
    label = OperationType(operation).label + (f" {factor}x" if factor else "")
    try:
        with transaction.atomic():
            hold, priced = credit_services.hold_for_operation(
                user=user,
                operation=operation,
                quantity=quantity,
                reference_type=REFERENCE_TYPE,
                reference_id=str(operation_id),
                idempotency_key=f"image-operation:{operation_id}",
                description=f"{label}: {asset.display_name}",
            )
            image_operation = ImageOperation.objects.create(
                id=operation_id,
                user=user,
                source=asset,
                operation_type=operation,
                parameters={"factor": factor} if factor else {},
                credits_quoted=priced.total,
                hold=hold,
                request_key=request_key,
                priority=priority_services.queue_priority(user=user),  # paid plans first
                **jobs.queued_fields(),
            )
            jobs.enqueue(ImageOperation, operation_id)
    except IntegrityError:
        # The same request_key committed by a request running at the same time.
        existing = _existing_request(user, request_key)
        if existing is None:
            raise
        return _replay(existing, asset_id=asset_id, operation=operation, factor=factor)
    logger.info(
        "image operation requested",
        extra={"operation_id": str(operation_id), "operation": operation, "credits": priced.total},
    )
    return image_operation


# -- the job ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Result:
    content: bytes
    ext: str
    mime_type: str
    width: int
    height: int
    thumbnail: bytes | None
    provider: str = "builtin"
    cost: Decimal = Decimal(0)


def _open_source(asset: Asset) -> Image.Image:
    """The source image, opened with the same limits as an upload."""
    if not asset.file or not default_storage.exists(asset.file.name):
        raise imageops.ImageOperationError("The original image is no longer available.")
    with default_storage.open(asset.file.name, "rb") as handle:
        raw = handle.read()
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(raw), formats=OPENABLE_FORMATS)
            if image.width * image.height > imageops.MAX_OUTPUT_PIXELS:
                raise imageops.ImageOperationError(
                    f"This image is larger than {imageops.MAX_OUTPUT_PIXELS / 1e6:.0f} MP."
                )
            image.load()
        except imageops.ImageOperationError:
            raise
        except (
            UnidentifiedImageError,
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,
            OSError,
            SyntaxError,
            ValueError,
        ) as exc:
            raise imageops.ImageOperationError("The original image could not be read; it may be damaged.") from exc
    return image


def _png_result(image: Image.Image, *, provider: str = "builtin", cost: Decimal = Decimal(0)) -> _Result:
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return _Result(
        content=out.getvalue(),
        ext="png",
        mime_type=asset_services.MIME_TYPES["png"],
        width=image.width,
        height=image.height,
        thumbnail=asset_services.thumbnail_bytes(image),
        provider=provider,
        cost=cost,
    )


def _offline(operation: ImageOperation, image: Image.Image) -> _Result:
    if operation.operation_type == OperationType.UPSCALE:
        return _png_result(imageops.upscale(image, int(operation.parameters.get("factor") or 0)))
    if operation.operation_type == OperationType.REMOVE_BACKGROUND:
        return _png_result(imageops.remove_background(image))
    svg = imageops.vectorize(image)
    return _Result(
        content=svg.encode("utf-8"),
        ext="svg",
        mime_type=asset_services.MIME_TYPES["svg"],
        width=image.width,
        height=image.height,
        thumbnail=None,
    )


def _from_provider(result) -> _Result:
    """What a configured provider made, as a stored result (PNG, with a thumbnail)."""
    return _png_result(result.image, provider=result.provider, cost=Decimal(result.cost or 0))


# Operations an AI provider may do when one is enabled and configured; vectorising is always built in.
PROVIDER_OPERATIONS = (OperationType.UPSCALE, OperationType.REMOVE_BACKGROUND)


def _make_result(operation: ImageOperation, image: Image.Image, attempt: int) -> _Result:
    made = None
    if operation.operation_type in PROVIDER_OPERATIONS:
        made = provider_services.run_image_operation_with_provider(
            user=operation.user,
            operation=operation.operation_type,
            image=image,
            parameters=operation.parameters,
            image_operation=operation,
            attempt=attempt,
        )
    if made is None:
        return _offline(operation, image)
    return _from_provider(made)


def _store_and_complete(operation: ImageOperation, attempt: int, result: _Result, started: float) -> Asset:
    """Write the result under this attempt's own name, then (fenced by the attempt, under the row
    lock) create its Asset, capture the hold and mark the operation completed, in one transaction."""
    source = operation.source
    label = f"{os.path.splitext(source.display_name)[0]} {OPERATION_LABELS[operation.operation_type]}"
    if operation.operation_type == OperationType.UPSCALE:
        label += f" {operation.parameters.get('factor')}x"
    name = readable_file_name(
        brand=brand_name(operation.user), label=label, ext=result.ext, suffix=f"{operation.pk.hex[:8]}-{attempt}"
    )
    made: list[Asset] = []

    def store(locked: ImageOperation, captured: int) -> list[str]:
        asset = Asset.objects.create(
            user_id=operation.user_id,
            kind=AssetKind.OPERATION,
            source=source,
            file=stored,
            thumbnail=thumb,
            original_filename=os.path.basename(stored),
            mime_type=result.mime_type,
            file_format=result.ext,
            size_bytes=len(result.content),
            width=result.width,
            height=result.height,
            metadata={
                "operation": operation.operation_type,
                "operation_id": str(operation.pk),
                "provider": result.provider,
                **operation.parameters,
            },
            expires_at=asset_services.retention_expiry(user=operation.user),
        )
        made.append(asset)
        locked.result = asset
        locked.provider = result.provider
        locked.api_cost = result.cost
        locked.credits_used = captured
        locked.processing_time_ms = int((time.monotonic() - started) * 1000)
        return ["result", "provider", "api_cost", "credits_used", "processing_time_ms"]

    with asset_services.stored_files() as files:
        stored = files.save(user_id=operation.user_id, name=name, content=result.content)
        thumb = (
            files.save(user_id=operation.user_id, name=thumbnail_name(name), content=result.thumbnail)
            if result.thumbnail
            else ""
        )
        jobs.complete(ImageOperation, operation.pk, attempt=attempt, store=store)
    return made[0]


def fail_image_operation(
    *, operation_id, error_message: str, attempt: int | None = None, api_cost: Decimal | None = None
) -> bool:
    """Mark a queued or running operation failed and give its credits back. False when it was
    already finished (or, with `attempt`, when a later attempt owns it). `api_cost` is what a
    provider charged us for an answer that was of no use."""
    failed = jobs.fail(ImageOperation, operation_id, message=error_message, attempt=attempt)
    if failed and api_cost:
        ImageOperation.objects.filter(pk=operation_id).update(api_cost=api_cost)
    return failed


def run_image_operation(*, operation_id) -> str:
    """The job: make the result, store it, capture the hold. Safe to run twice.

    Returns "completed", "failed", "retrying" (a provider error that may pass: sent again with
    backoff by the runner) or "skipped" (not queued: finished, or another attempt runs it).
    """
    try:
        attempt = jobs.claim(ImageOperation, operation_id)
    except jobs.HoldsNotHeld:  # failed by the claim: nothing charged, the user told why
        return "failed"
    if attempt is None:
        return "skipped"
    operation = ImageOperation.objects.select_related("user", "source").get(pk=operation_id)
    started = time.monotonic()
    failed = partial(fail_image_operation, operation_id=operation_id, attempt=attempt)
    try:
        image = _open_source(operation.source)
        result = _make_result(operation, image, attempt)
        _store_and_complete(operation, attempt, result, started)
    except jobs.LostLease:
        return "skipped"
    except jobs.HoldsNotHeld:
        failed(error_message=jobs.HOLDS_RETURNED_MESSAGE)
        return "failed"
    except providers.TransientProviderError as exc:
        return jobs.retry_later(
            ImageOperation,
            operation_id,
            attempt=attempt,
            message=f"{exc.message} Nothing was charged.",
            code="provider_unavailable",
            retry_after=exc.retry_after,
        )
    except (imageops.ImageOperationError, DomainError) as exc:
        failed(error_message=f"{exc.message} Nothing was charged.", api_cost=getattr(exc, "cost", None))
        return "failed"
    except Exception:
        logger.exception("image operation failed", extra={"operation_id": str(operation_id)})
        failed(error_message="Something went wrong while processing the image. Nothing was charged; please try again.")
        return "failed"
    logger.info("image operation completed", extra={"operation_id": str(operation_id)})
    return "completed"


def sweep_stuck_operations(*, now: datetime | None = None) -> int:
    """The image operations' part of the job sweep (see `craftplatform.jobs.sweep`); how many were handled."""
    result = jobs.sweep(ImageOperation, now=now)
    return result.requeued + result.failed + result.resent


# -- staff --------------------------------------------------------------------------------------


def retry_image_operation(*, operation_id, actor, request=None) -> ImageOperation:
    """Staff: queue a failed operation again with a new hold of its price (audited).

    Raises ImageOperationRefused when it is not failed, or the credits' DomainError when its owner
    cannot pay for it now.
    """
    with transaction.atomic():
        operation = ImageOperation.objects.select_for_update().select_related("source", "user").get(pk=operation_id)
        if operation.status != OperationStatus.FAILED:
            raise ImageOperationRefused("Only a failed operation can be retried.", code="not_failed")
        factor = operation.parameters.get("factor")
        problem = operation_problem(asset=operation.source, operation=operation.operation_type, factor=factor)
        if problem:
            raise ImageOperationRefused(problem, code="not_possible")
        previous_hold_id = operation.hold_id
        hold, priced = credit_services.hold_for_operation(
            user=operation.user,
            operation=operation.operation_type,
            quantity=pricing_quantity(operation=operation.operation_type, factor=factor),
            reference_type=REFERENCE_TYPE,
            reference_id=str(operation.pk),
            # A new key for each retry, fixed by the hold it replaces: a retry clicked twice holds once.
            idempotency_key=f"image-operation:{operation.pk}:retry:{previous_hold_id}",
            description=f"{operation.get_operation_type_display()} (retry): {operation.source.display_name}",
        )
        operation.hold = hold
        for name, value in jobs.queued_fields().items():
            setattr(operation, name, value)
        operation.credits_quoted = priced.total
        operation.credits_used = 0
        operation.attempts = 0
        operation.error_message = ""
        operation.error_code = ""
        operation.started_at = None
        operation.completed_at = None
        operation.lease_expires_at = None
        operation.processing_time_ms = None
        operation.save()
        account_services.record_audit_event(
            actor=actor,
            action="generations.image_operation_retried",
            target=operation,
            details={"previous_hold_id": str(previous_hold_id or ""), "hold_id": str(hold.pk), "credits": priced.total},
            request=request,
        )
        jobs.enqueue(ImageOperation, operation.pk)
    return operation
