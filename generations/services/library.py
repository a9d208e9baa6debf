"""The user's library: rating, favourites, deleting generations and images, collections, and the zip
of a generation's files.

Deleting removes rows in one transaction and the files from storage only once it has committed
(`transaction.on_commit`), so a rollback never leaves rows that point at missing files.
"""

import logging
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from typing import IO
from uuid import UUID

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from craftplatform.errors import DomainError
from generations.models import (
    ACTIVE_STATUSES,
    Asset,
    AssetKind,
    AssetStatus,
    Collection,
    CollectionItem,
    Generation,
    GenerationStatus,
    ImageOperation,
    OperationStatus,
)
from generations.services import assets as asset_files

logger = logging.getLogger(__name__)

FEEDBACK_MAX_CHARS = 2000
COLLECTION_NAME_MAX_CHARS = 120
COLLECTION_DESCRIPTION_MAX_CHARS = 1000
# A zip is built in memory up to this size, then on disk.
ZIP_SPOOL_BYTES = 32 * 1024 * 1024
COPY_CHUNK_BYTES = 1024 * 1024
ACTIVE_OPERATION_STATUSES = (OperationStatus.QUEUED, OperationStatus.RUNNING)


class LibraryError(DomainError):
    default_message = "That change could not be made."


class GenerationNotFound(LibraryError):
    default_message = "No such generation."


class AssetNotFound(LibraryError):
    default_message = "No such image."


class CollectionNotFound(LibraryError):
    default_message = "No such collection."


class InvalidRating(LibraryError):
    default_message = "Choose a rating from 1 to 5 stars."


class GenerationBusy(LibraryError):
    default_message = "This generation is still being made; you can delete it once it has finished or failed."


class AssetInUse(LibraryError):
    default_message = "This image is in use and cannot be deleted now."


class InvalidCollectionName(LibraryError):
    default_message = "Give the collection a name."


class CollectionNameTaken(LibraryError):
    default_message = "You already have a collection with this name."


class InvalidCollectionOrder(LibraryError):
    default_message = "The new order must list every image in the collection exactly once."


class MissingFile(LibraryError):
    default_message = "One of the files is missing from storage."


# -- rating and favourites -------------------------------------------------------------------------


def _locked_generation(*, user, generation_id) -> Generation:
    generation = Generation.objects.select_for_update().filter(user=user, pk=generation_id).first()
    if generation is None:
        raise GenerationNotFound()
    return generation


@transaction.atomic
def rate_generation(*, user, generation_id: UUID, rating: int, feedback: str = "") -> Generation:
    """Rate a finished generation 1 to 5 with optional feedback; rating again replaces the first."""
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidRating()
    feedback = (feedback or "").strip()
    if len(feedback) > FEEDBACK_MAX_CHARS:
        raise LibraryError(f"Keep the feedback to {FEEDBACK_MAX_CHARS} characters (it has {len(feedback)}).")
    generation = _locked_generation(user=user, generation_id=generation_id)
    if generation.status != GenerationStatus.COMPLETED:
        raise LibraryError("Only a finished generation can be rated.")
    generation.rating = rating
    generation.feedback = feedback
    generation.save(update_fields=["rating", "feedback", "updated_at"])
    return generation


def set_generation_favorite(*, user, generation_id: UUID, favorite: bool) -> bool:
    """Mark or unmark a generation as a favourite; setting the state it has already is a no-op."""
    updated = Generation.objects.filter(user=user, pk=generation_id).update(
        is_favorite=favorite, updated_at=timezone.now()
    )
    if not updated:
        raise GenerationNotFound()
    return favorite


def set_asset_favorite(*, user, asset_id: UUID, favorite: bool) -> bool:
    updated = Asset.objects.filter(user=user, pk=asset_id).update(is_favorite=favorite, updated_at=timezone.now())
    if not updated:
        raise AssetNotFound()
    return favorite


# -- deleting --------------------------------------------------------------------------------------


def _delete_files_after_commit(names: list[str]) -> None:
    if names:
        transaction.on_commit(lambda: asset_files.delete_files(names))


@transaction.atomic
def delete_generation(*, user, generation_id: UUID) -> None:
    """Delete a finished generation with its results; their files leave storage after the commit.

    Variations made from it stay (they lose their parent link); images made from its results by
    image operations stay in the user's images.
    """
    generation = _locked_generation(user=user, generation_id=generation_id)
    if generation.status in ACTIVE_STATUSES:
        raise GenerationBusy()
    assets = list(Asset.objects.filter(generation=generation))
    if ImageOperation.objects.filter(source__in=assets, status__in=ACTIVE_OPERATION_STATUSES).exists():
        raise AssetInUse(
            "An image operation is still running on one of this generation's images; "
            "delete it once the operation has finished."
        )
    names = [name for asset in assets for name in asset_files.asset_file_names(asset)]
    generation.delete()
    _delete_files_after_commit(names)
    logger.info("generation deleted", extra={"generation_id": str(generation_id), "files": len(names)})


def _used_by_running_generation(*, user, asset_id: UUID) -> bool:
    wanted = str(asset_id)
    running = Generation.objects.filter(user=user, status__in=ACTIVE_STATUSES).only("customization_data")
    for generation in running:
        images = (generation.customization_data or {}).get("images") or {}
        if isinstance(images, dict) and wanted in {str(value) for value in images.values()}:
            return True
    return False


@transaction.atomic
def delete_asset(*, user, asset_id: UUID) -> None:
    """Delete an upload, AI image or image-operation result; its files leave storage after the commit.

    A generation's rendered ads are deleted with their generation, not one by one.
    """
    asset = Asset.objects.select_for_update().filter(user=user, pk=asset_id).first()
    if asset is None:
        raise AssetNotFound()
    if asset.kind == AssetKind.RESULT:
        raise AssetInUse("This ad belongs to a generation; delete the generation to remove its images.")
    if ImageOperation.objects.filter(source=asset, status__in=ACTIVE_OPERATION_STATUSES).exists():
        raise AssetInUse("An image operation is still running on this image; delete it once it has finished.")
    if _used_by_running_generation(user=user, asset_id=asset.pk):
        raise AssetInUse("A generation that is still being made uses this image; delete it once it has finished.")
    names = asset_files.asset_file_names(asset)
    asset.delete()
    _delete_files_after_commit(names)
    logger.info("asset deleted", extra={"asset_id": str(asset_id), "files": len(names)})


# -- collections -----------------------------------------------------------------------------------


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidCollectionName()
    if len(name) > COLLECTION_NAME_MAX_CHARS:
        raise InvalidCollectionName(f"Keep the name to {COLLECTION_NAME_MAX_CHARS} characters (it has {len(name)}).")
    return name


def _clean_description(description: str) -> str:
    description = (description or "").strip()
    if len(description) > COLLECTION_DESCRIPTION_MAX_CHARS:
        raise LibraryError(f"Keep the description to {COLLECTION_DESCRIPTION_MAX_CHARS} characters.")
    return description


def _name_taken(name: str) -> CollectionNameTaken:
    return CollectionNameTaken(f"You already have a collection named “{name}”; choose another name.")


def create_collection(*, user, name: str, description: str = "") -> Collection:
    name = _clean_name(name)
    description = _clean_description(description)
    try:
        # The unique constraint decides, so two requests at once cannot both create the name.
        with transaction.atomic():
            return Collection.objects.create(user=user, name=name, description=description)
    except IntegrityError as exc:
        raise _name_taken(name) from exc


def _locked_collection(*, user, collection_id: UUID) -> Collection:
    # Locking the collection row serialises every change to its items (positions stay consistent).
    collection = Collection.objects.select_for_update().filter(user=user, pk=collection_id).first()
    if collection is None:
        raise CollectionNotFound()
    return collection


def rename_collection(*, user, collection_id: UUID, name: str, description: str | None = None) -> Collection:
    name = _clean_name(name)
    try:
        with transaction.atomic():
            collection = _locked_collection(user=user, collection_id=collection_id)
            collection.name = name
            fields = ["name", "updated_at"]
            if description is not None:
                collection.description = _clean_description(description)
                fields.append("description")
            collection.save(update_fields=fields)
            return collection
    except IntegrityError as exc:
        raise _name_taken(name) from exc


@transaction.atomic
def delete_collection(*, user, collection_id: UUID) -> None:
    """Delete a collection; the images in it stay in the library."""
    _locked_collection(user=user, collection_id=collection_id).delete()


@transaction.atomic
def add_to_collection(*, user, collection_id: UUID, asset_id: UUID) -> CollectionItem:
    """Put an image at the end of a collection; an image already there stays where it is."""
    collection = _locked_collection(user=user, collection_id=collection_id)
    asset = Asset.objects.filter(user=user, pk=asset_id).first()
    if asset is None:
        raise AssetNotFound()
    existing = CollectionItem.objects.filter(collection=collection, asset=asset).first()
    if existing is not None:
        return existing
    if asset.status != AssetStatus.ACTIVE:
        raise LibraryError("This image has expired and can no longer be added to a collection.")
    last = CollectionItem.objects.filter(collection=collection).aggregate(last=Max("position"))["last"]
    item = CollectionItem.objects.create(collection=collection, asset=asset, position=0 if last is None else last + 1)
    Collection.objects.filter(pk=collection.pk).update(updated_at=timezone.now())
    return item


@transaction.atomic
def remove_from_collection(*, user, collection_id: UUID, asset_id: UUID) -> bool:
    """Take an image out of a collection (the image itself stays); False when it was not in it."""
    collection = _locked_collection(user=user, collection_id=collection_id)
    removed, _ = CollectionItem.objects.filter(collection=collection, asset_id=asset_id).delete()
    if removed:
        Collection.objects.filter(pk=collection.pk).update(updated_at=timezone.now())
    return bool(removed)


def _write_positions(collection: Collection, items_by_asset: dict, asset_ids: Sequence) -> None:
    items = []
    for position, asset_id in enumerate(asset_ids):
        item = items_by_asset[asset_id]
        if item.position != position:
            item.position = position
            items.append(item)
    CollectionItem.objects.bulk_update(items, ["position"])
    Collection.objects.filter(pk=collection.pk).update(updated_at=timezone.now())


def _items_by_asset(collection: Collection) -> dict[UUID, CollectionItem]:
    items = CollectionItem.objects.filter(collection=collection).order_by("position", "created_at", "pk")
    return {item.asset_id: item for item in items}


@transaction.atomic
def reorder_collection(*, user, collection_id: UUID, asset_ids: list) -> list[UUID]:
    """Put a collection's images in this order: `asset_ids` lists every image in it exactly once."""
    collection = _locked_collection(user=user, collection_id=collection_id)
    try:
        wanted = [value if isinstance(value, UUID) else UUID(str(value)) for value in asset_ids]
    except (TypeError, ValueError) as exc:
        raise InvalidCollectionOrder() from exc
    items = _items_by_asset(collection)
    if len(wanted) != len(set(wanted)) or set(wanted) != set(items):
        raise InvalidCollectionOrder()
    _write_positions(collection, items, wanted)
    return wanted


@transaction.atomic
def move_collection_item(*, user, collection_id: UUID, asset_id: UUID, offset: int) -> list[UUID]:
    """Move one image `offset` places later (positive) or earlier (negative), stopping at either end."""
    collection = _locked_collection(user=user, collection_id=collection_id)
    items = _items_by_asset(collection)
    order = list(items)
    if asset_id not in items:
        raise AssetNotFound("This image is not in the collection.")
    current = order.index(asset_id)
    target = min(max(current + offset, 0), len(order) - 1)
    order.insert(target, order.pop(current))
    _write_positions(collection, items, order)
    return order


# -- downloads -------------------------------------------------------------------------------------


def zip_file_name(generation: Generation) -> str:
    """`brand_template_2026-11-25.zip`: readable, like the files inside."""
    brand = slugify((generation.brand_snapshot or {}).get("name") or "")[:40].strip("-") or "craftads"
    label = slugify(generation.template.name)[:40].strip("-") or "ads"
    return f"{brand}_{label}_{timezone.localtime(generation.created_at):%Y-%m-%d}.zip"


def collection_zip_file_name(collection) -> str:
    """`summer-campaign_2026-12-02.zip`: the collection's name and the day it was downloaded."""
    label = slugify(collection.name)[:60].strip("-") or "collection"
    return f"{label}_{timezone.localtime():%Y-%m-%d}.zip"


def _unique_member_name(name: str, used: set[str]) -> str:
    candidate, number = name, 2
    stem, dot, ext = name.rpartition(".")
    while candidate in used:
        candidate = f"{stem}-{number}.{ext}" if dot else f"{name}-{number}"
        number += 1
    used.add(candidate)
    return candidate


def build_zip(*, assets: Sequence[Asset]) -> IO[bytes]:
    """A zip of these assets' files, each under its stored file name, read from storage a chunk at a
    time into a temporary file (memory up to ZIP_SPOOL_BYTES, disk beyond). Returned at its start;
    the caller closes it."""
    spool = tempfile.SpooledTemporaryFile(max_size=ZIP_SPOOL_BYTES)  # noqa: SIM115 (the caller closes it)
    used: set[str] = set()
    try:
        with zipfile.ZipFile(spool, "w") as archive:
            for asset in assets:
                member = zipfile.ZipInfo(
                    _unique_member_name(asset.file.name.rsplit("/", 1)[-1], used),
                    date_time=timezone.localtime(asset.created_at).timetuple()[:6],
                )
                # Raster images are compressed already; SVG is text and shrinks.
                member.compress_type = zipfile.ZIP_DEFLATED if asset.file_format == "svg" else zipfile.ZIP_STORED
                try:
                    source = default_storage.open(asset.file.name, "rb")
                except FileNotFoundError as exc:
                    logger.error("asset file missing from storage", extra={"asset_id": str(asset.pk)})
                    raise MissingFile() from exc
                with source, archive.open(member, "w", force_zip64=True) as target:
                    shutil.copyfileobj(source, target, COPY_CHUNK_BYTES)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool
