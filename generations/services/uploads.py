"""Uploads: images checked by content, size and pixel count, re-encoded, stored with a thumbnail."""

import io
import os
from dataclasses import dataclass

from django.db import transaction
from PIL import Image

from accounts.models import BrandProfile
from craftplatform.images import ImageRejected, clean_uploaded_image
from generations.errors import UploadRejected
from generations.models import Asset, AssetKind
from generations.naming import readable_file_name
from generations.services import assets as asset_services
from generations.services import quota, upload_dedupe

# How many files one upload form or request may carry.
MAX_FILES_PER_UPLOAD = 10


def brand_name(user) -> str:
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
    quota.check_rate(user=user, files=len(uploads))  # before any file is read (issue 11)
    cleaned: list[_CleanUpload] = []
    problems: list[tuple[str, str]] = []
    for upload in uploads:
        try:
            cleaned.append(_clean(upload))
        except ImageRejected as exc:
            problems.append((_display_name(upload), str(exc)))
    if problems:
        raise UploadRejected(problems)
    quota.check_room(user=user, sizes=[len(clean.content) for clean in cleaned])  # nothing stored when full

    if files is not None:
        return _store_cleaned(user=user, cleaned=cleaned, files=files)
    with asset_services.stored_files() as own_files:
        return _store_cleaned(user=user, cleaned=cleaned, files=own_files)


def _store_cleaned(*, user, cleaned: list[_CleanUpload], files: asset_services.StoredFiles) -> list[Asset]:
    brand = brand_name(user)
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
        thumb_name = files.save(user_id=user.pk, name=thumbnail_name(name), content=thumb)
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


def thumbnail_name(name: str) -> str:
    return f"{os.path.splitext(name)[0]}_thumb.webp"
