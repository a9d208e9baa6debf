"""Images on published pages: WebP renditions at the widths the page layout needs, made at publish
time from the user's assets (and brand logo), stored under a name derived from the source so every
version reuses them."""

from __future__ import annotations

import io
import logging
import warnings

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageOps

from campaigns.pages.models import PageVersion
from generations.models import Asset

logger = logging.getLogger(__name__)

WIDTHS = (480, 960, 1440)
LOGO_WIDTHS = (96, 192)


def _open(name: str) -> Image.Image:
    with default_storage.open(name, "rb") as handle, warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = Image.open(io.BytesIO(handle.read()), formats=("PNG", "JPEG", "WEBP"))
        image.load()
    image = ImageOps.exif_transpose(image)
    return image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")


def _renditions(*, source_name: str, folder: str, stem: str, widths: tuple[int, ...]) -> dict:
    image = _open(source_name)
    made = []
    for width in widths:
        target_w = min(width, image.width)
        target_h = max(1, round(image.height * target_w / image.width))
        name = f"{folder}/{stem}-{target_w}.webp"
        if not default_storage.exists(name):
            buffer = io.BytesIO()
            image.resize((target_w, target_h), Image.Resampling.LANCZOS).save(buffer, "WEBP", quality=80, method=4)
            saved = default_storage.save(name, ContentFile(buffer.getvalue()))
            name = saved
        made.append({"w": target_w, "h": target_h, "name": name})
        if target_w == image.width:
            break  # never wider than the source
    return {"sizes": made, "width": image.width, "height": image.height}


def make_renditions(*, user, asset_ids: list[str], logo: str) -> dict:
    folder = f"pages/{user.pk}"
    images: dict[str, dict] = {}
    for asset in Asset.objects.filter(user=user, pk__in=asset_ids):
        if asset.file:
            images[str(asset.pk)] = _renditions(
                source_name=asset.file.name, folder=folder, stem=str(asset.pk), widths=WIDTHS
            )
    if logo:
        try:
            stem = "logo-" + logo.rsplit("/", 1)[-1].rsplit(".", 1)[0][:40]
            images["logo"] = _renditions(source_name=logo, folder=folder, stem=stem, widths=LOGO_WIDTHS)
        except (OSError, ValueError):
            logger.warning("landing page logo could not be rendered", extra={"user_id": str(user.pk)})
    return images


def page_file_names(page) -> list[str]:
    """Renditions only this page uses (others' versions may share a name: those are kept)."""

    mine = {s["name"] for v in page.versions.all() for img in v.images.values() for s in img.get("sizes", [])}
    others = {
        s["name"]
        for v in PageVersion.objects.filter(page__user=page.user).exclude(page=page)
        for img in v.images.values()
        for s in img.get("sizes", [])
    }
    return sorted(mine - others)


def delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("could not delete a page image", extra={"file_name": name})


def srcset(image: dict) -> tuple[str, str]:
    sizes = image.get("sizes") or []
    urls = [(default_storage.url(s["name"]), s["w"]) for s in sizes]
    return (urls[-1][0] if urls else ""), ", ".join(f"{url} {w}w" for url, w in urls)
