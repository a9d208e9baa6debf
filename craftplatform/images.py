"""Safe image intake: every uploaded image goes through `clean_uploaded_image`.

Images are recognised by their content (never their name), limited in bytes
and in pixels before they are decoded (no decompression bombs), have their
EXIF orientation applied, and are re-encoded so no metadata survives. The
stored file gets a server-chosen name.
"""

import io
import uuid
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = ("PNG", "JPEG", "WEBP")
EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
MIME_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


class ImageRejected(ValueError):
    """The upload is not an acceptable image; the message says why in plain words."""


@dataclass(frozen=True)
class CleanImage:
    content: ContentFile
    format: str
    width: int
    height: int

    @property
    def mime_type(self) -> str:
        return MIME_TYPES[self.format]


def _human_bytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def clean_uploaded_image(
    upload,
    *,
    max_bytes: int | None = None,
    max_pixels: int | None = None,
    name_stem: str | None = None,
) -> CleanImage:
    """Validate an uploaded file and return a re-encoded copy, or raise ImageRejected."""
    max_bytes = max_bytes or settings.UPLOAD_MAX_BYTES
    max_pixels = max_pixels or settings.UPLOAD_MAX_PIXELS
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    if size > max_bytes:
        raise ImageRejected(f"The file is {_human_bytes(size)}; the limit is {_human_bytes(max_bytes)}.")
    if size == 0:
        raise ImageRejected("The file is empty.")
    upload.seek(0)
    with warnings.catch_warnings():
        # Pillow's own bomb warning is an error here, and its limit sits far below the default.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(upload, formats=ALLOWED_FORMATS)
        except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError) as exc:
            if isinstance(exc, Image.DecompressionBombError | Image.DecompressionBombWarning):
                raise ImageRejected("The image has too many pixels.") from exc
            raise ImageRejected("The file is not a PNG, JPEG or WebP image.") from exc
        width, height = image.size
        if width * height > max_pixels:
            raise ImageRejected(
                f"The image is {width}×{height} pixels ({width * height / 1e6:.1f} MP); "
                f"the limit is {max_pixels / 1e6:.0f} MP."
            )
        fmt = image.format
        try:
            image.load()
            image = ImageOps.exif_transpose(image)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
            raise ImageRejected("The image file is damaged or incomplete.") from exc

    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA")
    out = io.BytesIO()
    # Re-encode without the original's info dictionary: Pillow writes some of it back on save (a JPEG's
    # comment, for one), so it is emptied and only the colour profile is handed over. EXIF, XMP, IPTC
    # and comments are gone; colours still look as the photographer meant.
    icc_profile = image.info.get("icc_profile")
    image.info = {}
    save_kwargs = {"JPEG": {"quality": 90, "optimize": True}, "PNG": {"optimize": True}, "WEBP": {"quality": 90}}[fmt]
    if icc_profile:
        save_kwargs["icc_profile"] = icc_profile
    image.save(out, format=fmt, **save_kwargs)
    stem = name_stem or uuid.uuid4().hex
    return CleanImage(
        content=ContentFile(out.getvalue(), name=f"{stem}.{EXTENSIONS[fmt]}"),
        format=fmt,
        width=image.width,
        height=image.height,
    )
