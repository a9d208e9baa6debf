"""Brand fonts: TrueType and OpenType files a user uploads for their brand kit.

A font is checked by its content (templates_app.renderer.describe_font_file), stored under a
name the server chooses, and described by the family, weight and style it declares. Renders
need a file on the local disk (FreeType opens a path): with local storage that is the stored
file itself; with remote storage (S3) the file is downloaded once into a cache directory keyed
by its SHA-256, so the content under a cached name never changes and every process of every
machine may fill its own cache without coordination.
"""

import hashlib
import logging
import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from accounts import services as account_services
from accounts.models import BrandProfile, User
from craftplatform import uploads
from craftplatform.errors import DomainError
from credits.services import storage
from templates_app.errors import TemplateSpecError, TextDoesNotFit
from templates_app.models import BrandFont, FontStyle
from templates_app.renderer import (
    FONT_FAMILIES,
    MAX_FONT_BYTES,
    BrandStyle,
    RenderInputs,
    describe_font_file,
    encode_image,
    render_ad,
)

logger = logging.getLogger(__name__)

MAX_BRAND_FONTS = BrandFont.MAX_PER_USER
FALLBACK_FAMILY = "Inter"  # what a brand kit uses instead of a font that was deleted
PREVIEW_TEXT = "The quick brown fox jumps over the lazy dog. 0123456789"
PREVIEW_SCALE = 0.25  # the 16:9 canvas drawn at 480 x 270


class BrandFontError(DomainError):
    default_message = "The font could not be added."


class BrandFontNotFound(BrandFontError):
    default_message = "There is no such font."


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _check_upload_limits(*, user: User, size: int | None) -> None:
    """The upload rate and the plan's storage quota (issue 11), as a BrandFontError."""
    try:
        uploads.check_upload_rate(user=user, files=1)
        storage.check_room(user=user, incoming=size or 0)
    except DomainError as exc:
        raise BrandFontError(exc.message) from exc


def upload_brand_font(*, user: User, upload) -> BrandFont:
    """Check an uploaded font file and add it to the user's brand fonts.

    `upload` is a file object (an UploadedFile); at most 5 MB and a byte are read from it.
    Raises BrandFontError with a message for the user (not a font, a web font or collection,
    damaged, too big, a bundled family, a face uploaded already, the limit reached); nothing
    is stored then.
    """
    declared = getattr(upload, "size", None)
    if declared is not None and declared > MAX_FONT_BYTES:
        raise BrandFontError(f"The font file is {_megabytes(declared)}; fonts may be at most 5 MB.")
    _check_upload_limits(user=user, size=declared)
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(MAX_FONT_BYTES + 1)
    try:
        face = describe_font_file(data)
    except TemplateSpecError as exc:
        raise BrandFontError(" ".join(message for _path, message in exc.problems)) from exc
    if face.family in FONT_FAMILIES:
        raise BrandFontError(f"{face.family} is included already: choose it in your brand kit, no upload needed.")
    if len(face.family) > BrandFont._meta.get_field("family").max_length:
        raise BrandFontError("The font's family name is longer than 100 characters.")
    style = FontStyle.ITALIC if face.italic else FontStyle.NORMAL
    font = BrandFont(
        user=user,
        family=face.family,
        weight=face.weight,
        style=style,
        original_name=os.path.basename(getattr(upload, "name", "") or "")[:255],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    duplicate = BrandFontError(
        f"You uploaded {font} already. To replace it, delete it first, then upload the new file.", code="font_exists"
    )
    with transaction.atomic():
        # The user's row is the lock: two uploads at once cannot both pass the limit.
        User.objects.select_for_update().filter(pk=user.pk).first()
        existing = BrandFont.objects.filter(user=user)
        if existing.filter(family=font.family, weight=font.weight, style=font.style).exists():
            raise duplicate
        if existing.count() >= MAX_BRAND_FONTS:
            raise BrandFontError(
                f"You have {MAX_BRAND_FONTS} fonts, the most a brand kit holds; delete one first.", code="font_limit"
            )
        font.file.save(f"{uuid.uuid4().hex}.{face.kind}", ContentFile(data), save=False)
        try:
            with transaction.atomic():
                font.save()
        except IntegrityError as exc:  # the same face, uploaded at the same moment
            default_storage.delete(font.file.name)
            raise duplicate from exc
        except Exception:
            default_storage.delete(font.file.name)
            raise
    logger.info(
        "Brand font uploaded",
        extra={"user_id": str(user.pk), "font_id": str(font.pk), "family": font.family, "bytes": font.size},
    )
    return font


@dataclass(frozen=True)
class FontDeletion:
    font: BrandFont
    reset_roles: list[str]  # brand kit roles ("heading_font", "body_font") that went back to the default


def delete_brand_font(*, user: User, font_id) -> FontDeletion:
    """Remove one of the user's fonts and, once committed, its file.

    When that was the family's last face and the brand kit names the family, the kit goes back
    to the default font for that role. Raises BrandFontNotFound for a font that is not the user's.
    """
    with transaction.atomic():
        font = BrandFont.objects.select_for_update().filter(pk=font_id, user=user).first()
        if font is None:
            raise BrandFontNotFound()
        font.delete()
        replaced: dict[str, str] = {}
        if not BrandFont.objects.filter(user=user, family=font.family).exists():
            typography = BrandProfile.objects.filter(user=user).values_list("typography", flat=True).first() or {}
            replaced = {role: FALLBACK_FAMILY for role, family in typography.items() if family == font.family}
            if replaced:
                account_services.update_brand_profile(user=user, values={"typography": replaced})
        name = font.file.name
        transaction.on_commit(lambda: _delete_stored(name))
    logger.info("Brand font deleted", extra={"user_id": str(user.pk), "font_id": str(font_id)})
    return FontDeletion(font=font, reset_roles=sorted(replaced))


def _delete_stored(name: str) -> None:
    try:
        default_storage.delete(name)
    except Exception:
        logger.exception("Could not delete a brand font file", extra={"file_name": name})


def brand_font_choices(user) -> list[tuple[str, str]]:
    """The user's uploaded families as brand kit choices (registered with accounts.brand_fonts)."""
    families = BrandFont.objects.filter(user=user).order_by("family").values_list("family", flat=True).distinct()
    return [(family, f"{family} (uploaded)") for family in families]


# -- local files for the renderer --------------------------------------------------------------


def font_cache_dir() -> Path:
    return Path(settings.VAR_DIR) / "cache" / "brand-fonts"


def local_font_path(font: BrandFont) -> Path:
    """A path on this machine the renderer can open for `font`'s file.

    Local storage: the stored file. Remote storage (no local path, or none holding the file): a
    copy in the cache directory, named by the file's SHA-256 and checked against it, downloaded
    when it is not there yet. Raises OSError when the file cannot be had.
    """
    try:
        path = Path(default_storage.path(font.file.name))
    except NotImplementedError:  # S3 and other remote storages
        path = None
    if path is not None and path.is_file() and path.stat().st_size == font.size:
        return path
    return _cached_copy(font)


def _cached_copy(font: BrandFont) -> Path:
    folder = font_cache_dir()
    target = folder / f"{font.sha256}{Path(font.file.name).suffix}"
    if target.is_file() and target.stat().st_size == font.size:
        return target
    try:
        with default_storage.open(font.file.name, "rb") as stored:
            data = stored.read(MAX_FONT_BYTES + 1)
    except OSError:
        raise
    except Exception as exc:  # a storage backend's own errors (S3 client errors) say the same
        raise OSError(f"The stored font file {font.file.name} cannot be read: {exc}") from exc
    if hashlib.sha256(data).hexdigest() != font.sha256:
        raise OSError(f"The stored font file {font.file.name} does not match its checksum.")
    folder.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed into place: a render in another process never reads half a file.
    handle, temporary = tempfile.mkstemp(dir=folder, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def extra_fonts_for_user(*, user) -> dict[str, dict[int, str]]:
    """The user's brand fonts as the renderer takes them (RenderInputs.extra_fonts):
    family -> {weight: local file path}.

    The upright face of a weight is used; an italic one only where the family has no upright
    face at that weight. A face whose file cannot be had is left out (and logged): the render
    then falls back to another face of the family, or to Inter with a warning.
    """
    chosen: dict[tuple[str, int], BrandFont] = {}
    for font in BrandFont.objects.filter(user=user).order_by("family", "weight", "style"):
        key = (font.family, font.weight)
        if key not in chosen or (chosen[key].style == FontStyle.ITALIC and font.style == FontStyle.NORMAL):
            chosen[key] = font
    fonts: dict[str, dict[int, str]] = {}
    for (family, weight), font in chosen.items():
        try:
            path = local_font_path(font)
        except OSError:
            logger.warning(
                "A brand font file cannot be read; renders fall back",
                extra={"user_id": str(font.user_id), "font_id": str(font.pk)},
                exc_info=True,
            )
            continue
        fonts.setdefault(family, {})[weight] = str(path)
    return fonts


# -- preview -------------------------------------------------------------------------------------


def _preview_spec(weight: int) -> dict:
    layer = {"type": "text", "font": "brand.heading", "weight": weight, "color": "#1B1B1E", "align": "left"}
    return {
        "version": 1,
        "slots": {
            "family": {"type": "text", "label": "Family", "default": "Aa", "max_chars": 120},
            "sample": {"type": "text", "label": "Sample", "default": PREVIEW_TEXT, "max_chars": 200},
        },
        "formats": {
            "16:9": {
                "background": "#FFFFFF",
                "layers": [
                    {**layer, "slot": "family", "box": [80, 90, 1760, 400], "size": [16, 220], "max_lines": 2},
                    {
                        **layer,
                        "slot": "sample",
                        "box": [80, 560, 1760, 430],
                        "size": [12, 110],
                        "max_lines": 3,
                        "line_height": 1.25,
                        "color": "#4A4A55",
                    },
                ],
            }
        },
    }


def render_font_preview(*, font: BrandFont) -> bytes:
    """A 480 x 270 PNG of the family's name and a pangram set in this face, by the ad renderer
    exactly as a generation draws it (characters the font lacks fall back to Noto).

    Raises BrandFontError when the face is too wide for even the smallest sizes, OSError when
    its file cannot be had."""
    inputs = RenderInputs(
        texts={"family": font.family, "sample": PREVIEW_TEXT},
        brand=BrandStyle(heading_font=font.family, body_font=font.family),
        extra_fonts={font.family: {font.weight: str(local_font_path(font))}},
    )
    try:
        result = render_ad(_preview_spec(font.weight), "16:9", inputs, scale=PREVIEW_SCALE)
    except TextDoesNotFit as exc:
        raise BrandFontError("This font's letters are too wide to show a preview.") from exc
    return encode_image(result.image, "png")
