"""Uploads and image operations (upscale, background removal, vectorise).

The money path (DESIGN.md section 5): a request holds the operation's price in the same transaction
that creates the queued `ImageOperation`; the job is enqueued on commit. The job claims the operation
with a conditional update, stores the result file inside `stored_files()` (removed again if anything
after it fails), then creates the result `Asset`, captures the hold and marks the operation completed
in one transaction. A failure releases the hold and says why; nothing is charged for it. A provider
that may answer later (TransientProviderError) puts the operation back in the queue for the task to
retry, until the attempts run out.
"""

import io
import logging
import os
import time
import uuid
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from accounts import services as account_services
from accounts.models import BrandProfile
from craftplatform.errors import DomainError
from craftplatform.images import ImageRejected, clean_uploaded_image
from credits import price_list
from credits import services as credit_services
from credits.constants import HoldStatus
from generations import imageops, providers
from generations.models import Asset, AssetKind, AssetStatus, ImageOperation, OperationStatus, OperationType
from generations.naming import readable_file_name
from generations.selectors import get_asset_for_user
from generations.services import assets as asset_services
from generations.services import providers as provider_services
from generations.services import upload_dedupe
from generations.tasks import operations as operation_tasks

logger = logging.getLogger(__name__)

REFERENCE_TYPE = "image_operation"
RASTER_FORMATS = ("png", "jpeg", "webp")
OPENABLE_FORMATS = ("PNG", "JPEG", "WEBP")
# How many files one upload form or request may carry.
MAX_FILES_PER_UPLOAD = 10
# Labels in file names and messages.
OPERATION_LABELS = {
    OperationType.UPSCALE: "upscaled",
    OperationType.REMOVE_BACKGROUND: "no-background",
    OperationType.VECTORIZE: "vector",
}


class UploadRejected(DomainError):
    """One or more uploaded files are not acceptable; `problems` lists (file name, reason)."""

    default_message = "The file could not be uploaded."

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = list(problems)
        if len(self.problems) == 1:
            message = self.problems[0][1]
        else:
            message = " ".join(f"{name}: {reason}" for name, reason in self.problems)
        super().__init__(message or self.default_message, code="upload_rejected")


class ImageOperationRefused(DomainError):
    """The operation cannot be asked for on this image (wrong kind of file, too large, bad factor)."""

    default_message = "This operation is not available for this image."


class _LostClaim(Exception):
    """Another attempt owns the operation now (the sweep re-queued it, or it finished): this one stops."""


class _HoldNotHeld(Exception):
    """The hold was released (expired) before the operation finished: nothing may be charged."""


# -- uploads ------------------------------------------------------------------------------------


def _brand_name(user) -> str:
    return BrandProfile.objects.filter(user=user).values_list("name", flat=True).first() or ""


def _display_name(upload) -> str:
    name = os.path.basename(str(getattr(upload, "name", "") or "")).strip()
    return "".join(ch for ch in name if ch.isprintable())[:255] or "image"


@dataclass(frozen=True)
class _CleanUpload:
    name: str
    content: bytes
    format: str
    mime_type: str
    width: int
    height: int


def _clean(upload) -> _CleanUpload:
    clean = clean_uploaded_image(upload)
    content = clean.content.read()
    return _CleanUpload(
        name=_display_name(upload),
        content=content,
        format=clean.format.lower(),
        mime_type=clean.mime_type,
        width=clean.width,
        height=clean.height,
    )


def upload_images(*, user, uploads, files: asset_services.StoredFiles | None = None) -> list[Asset]:
    """Check every file by content, size and pixel count, then store them all, or none.

    Raises UploadRejected naming each refused file; nothing is stored then. With `files`, the
    files are written through the caller's unit of work (removed if it fails) and the rows in its
    transaction, as when uploads come with a generation request.
    """
    uploads = list(uploads)
    if not uploads:
        raise UploadRejected([("", "Choose at least one image to upload.")])
    if len(uploads) > MAX_FILES_PER_UPLOAD:
        raise UploadRejected([("", f"Upload at most {MAX_FILES_PER_UPLOAD} images at a time.")])
    cleaned: list[_CleanUpload] = []
    problems: list[tuple[str, str]] = []
    for upload in uploads:
        try:
            cleaned.append(_clean(upload))
        except ImageRejected as exc:
            problems.append((_display_name(upload), str(exc)))
    if problems:
        raise UploadRejected(problems)

    if files is not None:
        return _store_cleaned(user=user, cleaned=cleaned, files=files)
    with asset_services.stored_files() as own_files:
        return _store_cleaned(user=user, cleaned=cleaned, files=own_files)


def _store_cleaned(*, user, cleaned: list[_CleanUpload], files: asset_services.StoredFiles) -> list[Asset]:
    brand = _brand_name(user)
    expires_at = asset_services.retention_expiry(user=user)
    rows = []
    for clean in cleaned:
        digest = upload_dedupe.content_hash(clean.content)
        same = next((row for row in rows if row.content_hash == digest), None)
        same = same or upload_dedupe.existing_upload(user=user, digest=digest, expires_at=expires_at)
        if same is not None:
            rows.append(same)  # already in the library: one copy, references keep working
            continue
        name = readable_file_name(
            brand=brand,
            label=os.path.splitext(clean.name)[0],
            ext="jpg" if clean.format == "jpeg" else clean.format,
        )
        stored = files.save(user_id=user.pk, name=name, content=clean.content)
        with Image.open(io.BytesIO(clean.content)) as image:  # our own re-encoded copy
            thumb = asset_services.thumbnail_bytes(image)
        thumb_name = files.save(user_id=user.pk, name=_thumbnail_name(name), content=thumb)
        rows.append(
            Asset(
                user=user,
                kind=AssetKind.UPLOAD,
                file=stored,
                thumbnail=thumb_name,
                original_filename=clean.name,
                mime_type=clean.mime_type,
                file_format=clean.format,
                size_bytes=len(clean.content),
                width=clean.width,
                height=clean.height,
                expires_at=expires_at,
                content_hash=digest,
            )
        )
    with transaction.atomic():
        inserted = {row.pk: upload_dedupe.insert_upload(row) for row in rows if row._state.adding}
    return [inserted.get(row.pk, row) for row in rows]


def upload_image(*, user, upload) -> Asset:
    """Store one uploaded image (checked by content, size and pixel count; EXIF applied and removed)."""
    return upload_images(user=user, uploads=[upload])[0]


def _thumbnail_name(name: str) -> str:
    return f"{os.path.splitext(name)[0]}_thumb.webp"


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
            "This request was already made for a different image or operation.", code="idempotency_conflict"
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
                status=OperationStatus.QUEUED,
                credits_quoted=priced.total,
                hold=hold,
                request_key=request_key,
            )
            transaction.on_commit(partial(_enqueue, operation_id), robust=True)
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


def _enqueue(operation_id) -> None:
    operation_tasks.run_image_operation_task.delay(str(operation_id))


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


def _lease() -> datetime:
    return timezone.now() + timedelta(seconds=settings.GENERATION_TIME_LIMIT_SECONDS)


def claim_image_operation(*, operation_id) -> bool:
    """Take a queued operation for this attempt; False when it is not queued (done, or running elsewhere)."""
    now = timezone.now()
    return bool(
        ImageOperation.objects.filter(pk=operation_id, status=OperationStatus.QUEUED).update(
            status=OperationStatus.PROCESSING,
            attempts=F("attempts") + 1,
            lease_expires_at=_lease(),
            started_at=now,
            updated_at=now,
        )
    )


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


def _make_result(operation: ImageOperation, image: Image.Image) -> _Result:
    made = None
    if operation.operation_type in PROVIDER_OPERATIONS:
        made = provider_services.run_image_operation_with_provider(
            user=operation.user,
            operation=operation.operation_type,
            image=image,
            parameters=operation.parameters,
            image_operation=operation,
            attempt=operation.attempts,
        )
    if made is None:
        return _offline(operation, image)
    return _from_provider(made)


def _store_and_complete(operation: ImageOperation, result: _Result, started: float) -> Asset:
    source = operation.source
    label = f"{os.path.splitext(source.display_name)[0]} {OPERATION_LABELS[operation.operation_type]}"
    if operation.operation_type == OperationType.UPSCALE:
        label += f" {operation.parameters.get('factor')}x"
    name = readable_file_name(brand=_brand_name(operation.user), label=label, ext=result.ext)
    with asset_services.stored_files() as files:
        stored = files.save(user_id=operation.user_id, name=name, content=result.content)
        thumb = (
            files.save(user_id=operation.user_id, name=_thumbnail_name(name), content=result.thumbnail)
            if result.thumbnail
            else ""
        )
        with transaction.atomic():
            locked = ImageOperation.objects.select_for_update().get(pk=operation.pk)
            if locked.status != OperationStatus.PROCESSING or locked.attempts != operation.attempts:
                raise _LostClaim()
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
            hold = credit_services.capture_hold(hold_id=locked.hold_id)
            if hold.status != HoldStatus.CAPTURED:
                raise _HoldNotHeld()
            now = timezone.now()
            locked.status = OperationStatus.COMPLETED
            locked.result = asset
            locked.provider = result.provider
            locked.api_cost = result.cost
            locked.credits_used = hold.captured_amount or 0
            locked.completed_at = now
            locked.lease_expires_at = None
            locked.processing_time_ms = int((time.monotonic() - started) * 1000)
            locked.error_message = ""
            locked.save(
                update_fields=[
                    "status",
                    "result",
                    "provider",
                    "api_cost",
                    "credits_used",
                    "completed_at",
                    "lease_expires_at",
                    "processing_time_ms",
                    "error_message",
                    "updated_at",
                ]
            )
    return asset


def fail_image_operation(
    *, operation_id, error_message: str, attempt: int | None = None, api_cost: Decimal | None = None
) -> bool:
    """Mark a queued or running operation failed and give its credits back. False when it was
    already finished (or, with `attempt`, when a later attempt owns it). `api_cost` is what a
    provider charged us for an answer that was of no use."""
    with transaction.atomic():
        pending = ImageOperation.objects.select_for_update().filter(
            pk=operation_id, status__in=[OperationStatus.QUEUED, OperationStatus.PROCESSING]
        )
        if attempt is not None:
            pending = pending.filter(attempts=attempt)
        operation = pending.first()
        if operation is None:
            return False
        operation.status = OperationStatus.FAILED
        operation.error_message = error_message
        operation.completed_at = timezone.now()
        operation.lease_expires_at = None
        fields = ["status", "error_message", "completed_at", "lease_expires_at", "updated_at"]
        if api_cost:
            operation.api_cost = api_cost
            fields.append("api_cost")
        operation.save(update_fields=fields)
        if operation.hold_id:
            credit_services.release_hold(hold_id=operation.hold_id)
    logger.info("image operation failed", extra={"operation_id": str(operation_id), "reason": error_message})
    return True


def _requeue(operation_id, attempt: int) -> None:
    ImageOperation.objects.filter(pk=operation_id, status=OperationStatus.PROCESSING, attempts=attempt).update(
        status=OperationStatus.QUEUED, lease_expires_at=None, updated_at=timezone.now()
    )


def run_image_operation(*, operation_id) -> str:
    """The job: make the result, store it, capture the hold. Safe to run twice.

    Returns "completed", "failed" or "skipped" (not queued: finished, or another attempt runs it).
    Re-raises TransientProviderError, with the operation back in the queue, when another attempt
    is allowed.
    """
    if not claim_image_operation(operation_id=operation_id):
        return "skipped"
    operation = ImageOperation.objects.select_related("user", "source").get(pk=operation_id)
    started = time.monotonic()
    failed = partial(fail_image_operation, operation_id=operation_id, attempt=operation.attempts)
    try:
        image = _open_source(operation.source)
        result = _make_result(operation, image)
        _store_and_complete(operation, result, started)
    except _LostClaim:
        return "skipped"
    except _HoldNotHeld:
        failed(
            error_message="The credits held for this took too long to be used and were returned. Nothing was charged; please try again."
        )
        return "failed"
    except providers.TransientProviderError as exc:
        if operation.attempts >= settings.GENERATION_MAX_ATTEMPTS:
            failed(error_message=f"{exc.message} Nothing was charged.")
            return "failed"
        _requeue(operation_id, operation.attempts)
        raise
    except (imageops.ImageOperationError, DomainError) as exc:
        failed(error_message=f"{exc.message} Nothing was charged.", api_cost=getattr(exc, "cost", None))
        return "failed"
    except Exception:
        logger.exception("image operation failed", extra={"operation_id": str(operation_id)})
        failed(error_message="Something went wrong while processing the image. Nothing was charged; please try again.")
        return "failed"
    logger.info("image operation completed", extra={"operation_id": str(operation_id)})
    return "completed"


def _queue_wait() -> timedelta:
    """How long a queued operation may wait for a worker before its message is taken as lost: the
    time limit plus the longest countdown a retry is scheduled with."""
    return timedelta(seconds=settings.GENERATION_TIME_LIMIT_SECONDS + settings.CELERY_MAX_COUNTDOWN)


def sweep_stuck_operations(*, now: datetime | None = None) -> int:
    """Operations whose lease ran out (a worker died or hung): queued again while attempts remain,
    otherwise failed with their hold released. Operations queued for longer than any task could
    wait (the broker lost the message, or was down when it was sent) are enqueued again; the claim
    makes a duplicate delivery harmless. Returns how many were handled."""
    now = now or timezone.now()
    handled = 0
    lost = ImageOperation.objects.filter(status=OperationStatus.QUEUED, updated_at__lt=now - _queue_wait())
    for operation_id, updated_at in lost.values_list("pk", "updated_at"):
        with transaction.atomic():
            touched = ImageOperation.objects.filter(
                pk=operation_id, status=OperationStatus.QUEUED, updated_at=updated_at
            ).update(updated_at=timezone.now())
            if touched:
                transaction.on_commit(partial(_enqueue, operation_id), robust=True)
        handled += touched
    stuck = ImageOperation.objects.filter(status=OperationStatus.PROCESSING, lease_expires_at__lt=now)
    for operation_id, attempts in stuck.values_list("pk", "attempts"):
        if attempts < settings.GENERATION_MAX_ATTEMPTS:
            with transaction.atomic():
                requeued = ImageOperation.objects.filter(
                    pk=operation_id, status=OperationStatus.PROCESSING, attempts=attempts, lease_expires_at__lt=now
                ).update(status=OperationStatus.QUEUED, lease_expires_at=None, updated_at=timezone.now())
                if requeued:
                    transaction.on_commit(partial(_enqueue, operation_id), robust=True)
            handled += requeued
        elif fail_image_operation(
            operation_id=operation_id,
            attempt=attempts,
            error_message=(
                f"The operation did not finish after {attempts} attempts. Nothing was charged; please try again."
            ),
        ):
            handled += 1
    if handled:
        logger.warning("swept stuck image operations", extra={"count": handled})
    return handled


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
        operation.status = OperationStatus.QUEUED
        operation.credits_quoted = priced.total
        operation.credits_used = 0
        operation.attempts = 0
        operation.error_message = ""
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
        transaction.on_commit(partial(_enqueue, operation.pk), robust=True)
    return operation
