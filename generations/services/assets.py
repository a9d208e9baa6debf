"""Storing and removing asset files through Django's storage (local files or S3).

Files are written before the database row that names them is committed; a failure after the write
removes what was written, so a failed job leaves no orphan file behind (`stored_files`).
"""

import io
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from credits.services import plans as credit_plans
from generations.models import Asset, asset_upload_to

logger = logging.getLogger(__name__)

THUMBNAIL_SIZE = 480
MIME_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp", "svg": "image/svg+xml"}


class StoredFiles:
    """The storage names written in one unit of work, so they can be removed if it fails."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def save(self, *, user_id, name: str, content: bytes) -> str:
        stored = default_storage.save(asset_upload_to(_Owner(user_id), name), ContentFile(content))
        self.names.append(stored)
        return stored

    def remove_all(self) -> None:
        delete_files(self.names)
        self.names = []


class _Owner:
    def __init__(self, user_id) -> None:
        self.user_id = user_id


@contextmanager
def stored_files() -> Iterator[StoredFiles]:
    """Files saved inside the block are deleted again if the block raises."""
    files = StoredFiles()
    try:
        yield files
    except BaseException:
        files.remove_all()
        raise


def thumbnail_bytes(image: Image.Image, *, size: int = THUMBNAIL_SIZE) -> bytes:
    """A WebP thumbnail that fits in size x size, keeping transparency where there is any.

    Made on every job for every format, so it is made quickly: an opaque image drops its alpha
    band, the image is first box-reduced by whole factors (reducing_gap=1) before the Lanczos
    pass, and WebP uses its fastest method; at 480 px the result looks the same.
    """
    thumb = image
    if thumb.mode == "RGBA" and thumb.getchannel("A").getextrema() == (255, 255):
        thumb = thumb.convert("RGB")
    elif thumb.mode not in ("RGB", "RGBA"):
        thumb = thumb.convert("RGBA" if "A" in thumb.getbands() else "RGB")
    else:
        thumb = thumb.copy()
    thumb.thumbnail((size, size), Image.Resampling.LANCZOS, reducing_gap=1.0)
    out = io.BytesIO()
    thumb.save(out, format="WEBP", quality=82, method=0)
    return out.getvalue()


def retention_expiry(*, user, now: datetime | None = None) -> datetime | None:
    """When a new file of this user expires: free-plan files after the retention period, paid kept."""
    if credit_plans.watermark_required(user=user):
        return (now or timezone.now()) + timedelta(days=settings.GENERATION_FREE_RETENTION_DAYS)
    return None


def delete_files(names: Iterable[str]) -> None:
    """Remove files from storage; a file already gone is not an error."""
    for name in names:
        if not name:
            continue
        try:
            default_storage.delete(name)
        except Exception:  # storage errors must not stop the other deletions; they are logged
            logger.exception("could not delete file from storage", extra={"file_name": name})


def asset_file_names(asset: Asset) -> list[str]:
    return [name for name in (asset.file.name, asset.thumbnail.name) if name]
