"""Rendering a generation: its inputs (texts, images, AI copy, an AI background), every format, the files.

Every file is written under a name that carries the attempt (`attempt_suffix`), and rows refer to
files only in transactions fenced by the attempt, so an attempt that lost its lease never deletes
or overwrites a file a committed row refers to.
"""

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.core.files.storage import default_storage
from PIL import Image

from craftplatform import jobs
from generations.errors import InvalidGenerationRequest
from generations.models import Asset, AssetKind, Generation
from generations.naming import readable_file_name
from generations.services import assets as asset_services
from generations.services import provider_copy
from generations.services import providers as provider_services
from generations.services.generation.request import background_slot
from generations.watermark import apply_watermark
from templates_app import selectors as template_selectors
from templates_app.renderer import BrandStyle, RenderInputs, encode_image, render_ad
from templates_app.renderer.palettes import legible_rotations
from templates_app.services import fonts as template_font_services

logger = logging.getLogger(__name__)

EXTENSIONS = {"png": "png", "jpeg": "jpg", "webp": "webp"}
PALETTE_KEYS = ("primary", "secondary", "accent", "background", "text")
# Permutations of (primary, secondary, accent) a palette variant cycles through; background and text
# stay as the brand has them so the contrast the template was designed for holds.
PALETTE_ROTATIONS = ((2, 1, 0), (1, 0, 2), (0, 2, 1), (1, 2, 0), (2, 0, 1))
AI_BACKGROUND_SIZE = (1920, 1920)


def attempt_suffix(generation: Generation, attempt: int) -> str:
    """The file-name suffix of one attempt's files: the generation's short id and the attempt."""
    return f"{generation.pk.hex[:8]}-{attempt}"


def _open_stored_image(name: str) -> Image.Image:
    with default_storage.open(name, "rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image


def _palette_for(snapshot: dict, parameters: dict, spec: dict | None = None) -> dict[str, str]:
    colors = {key: value for key, value in (snapshot.get("colors") or {}).items() if key in PALETTE_KEYS}
    variant = int(parameters.get("palette_variant", 0))
    if variant and all(key in colors for key in ("primary", "secondary", "accent")):
        trio = [colors["primary"], colors["secondary"], colors["accent"]]
        # Only orders under which the design's texts stay legible on flat colours (issue 12).
        usable = list(range(len(PALETTE_ROTATIONS)))
        if spec is not None:
            usable = legible_rotations(spec, {**BrandStyle.default().colors, **colors}, PALETTE_ROTATIONS)
        order = PALETTE_ROTATIONS[usable[(variant - 1) % len(usable)]]
        colors.update(zip(("primary", "secondary", "accent"), (trio[i] for i in order), strict=True))
    return colors


def brand_style_for(snapshot: dict, parameters: dict | None = None, spec: dict | None = None) -> BrandStyle:
    """The brand kit as the renderer takes it, from a snapshot (`brand_snapshot`) and, for a
    variation, its palette variant. Used by the job and by the customise page's live preview."""
    typography = snapshot.get("typography") or {}
    logo = None
    if snapshot.get("logo"):
        try:
            logo = _open_stored_image(snapshot["logo"])
        except (OSError, ValueError):
            logger.warning("brand logo missing from storage", extra={"file_name": snapshot["logo"]})
    defaults = BrandStyle.default()
    return BrandStyle(
        colors={**defaults.colors, **_palette_for(snapshot, parameters or {}, spec)},
        heading_font=typography.get("heading_font") or defaults.heading_font,
        body_font=typography.get("body_font") or defaults.body_font,
        logo=logo,
    )


def _copy_texts(generation: Generation, spec: dict, attempt: int) -> dict[str, str]:
    """AI copy in the brand's voice, asked once per generation and kept in its lineage."""
    if generation.prompt_data.get("copy"):
        return generation.prompt_data["copy"]
    slots = {
        name: {
            "label": slot["label"],
            "max_chars": slot.get("max_chars", 100),
            # What the user wrote; a blank text stays blank (never the template's sample copy).
            "text": generation.customization_data.get("texts", {}).get(name, ""),
        }
        for name, slot in spec.get("slots", {}).items()
        if slot["type"] == "text"
    }
    snapshot = generation.brand_snapshot or {}
    result = provider_copy.write_copy_variants(
        user=generation.user,
        brand={
            "name": snapshot.get("name", ""),
            "voice": snapshot.get("voice", {}),
            "messaging": snapshot.get("messaging", {}),
        },
        slots=slots,
        count=1,
        generation=generation,
        attempt=attempt,
    )
    copy = result.variants[0]
    generation.prompt_data = {
        **generation.prompt_data,
        "copy": copy,
        "copy_provider": result.provider,
        "copy_model": result.model,
    }
    with jobs.fenced(Generation, generation.pk, attempt=attempt):
        Generation.objects.filter(pk=generation.pk).update(prompt_data=generation.prompt_data)
    return copy


def _background_image(generation: Generation, files: asset_services.StoredFiles, attempt: int) -> Image.Image | None:
    ai = generation.customization_data.get("ai", {})
    reuse = generation.parameters.get("background_asset")
    if reuse:
        asset = Asset.objects.filter(pk=reuse, user=generation.user).first()
        if asset and asset.file:
            return _open_stored_image(asset.file.name)
    if not ai.get("background"):
        return None
    existing = Asset.objects.filter(generation=generation, kind=AssetKind.AI_IMAGE).first()
    if existing:
        return _open_stored_image(existing.file.name)
    snapshot = generation.brand_snapshot or {}
    result = provider_services.generate_background(
        user=generation.user,
        prompt=ai.get("prompt") or f"{generation.template.name} background",
        size=AI_BACKGROUND_SIZE,
        seed=generation.seed,
        brand_colors=dict(snapshot.get("colors") or {}),
        generation=generation,
        attempt=attempt,
    )
    content = encode_image(result.image, "png")
    name = readable_file_name(
        brand=snapshot.get("name", ""),
        label=f"{generation.template.name} background",
        ext="png",
        when=generation.created_at,
        suffix=attempt_suffix(generation, attempt),
    )
    stored = files.save(user_id=generation.user_id, name=name, content=content)
    with jobs.fenced(Generation, generation.pk, attempt=attempt):
        asset = Asset.objects.create(
            user=generation.user,
            generation=generation,
            kind=AssetKind.AI_IMAGE,
            file=stored,
            original_filename=name,
            mime_type="image/png",
            file_format="png",
            size_bytes=len(content),
            width=result.image.width,
            height=result.image.height,
            metadata={"provider": result.provider, "model": result.model, "seed": generation.seed},
            expires_at=asset_services.retention_expiry(user=generation.user),
        )
        generation.prompt_data = {
            **generation.prompt_data,
            "background_asset": str(asset.pk),
            "background_provider": result.provider,
            "background_model": result.model,
            "background_prompt": ai.get("prompt", ""),
        }
        Generation.objects.filter(pk=generation.pk).update(
            prompt_data=generation.prompt_data, provider=result.provider, ai_model=result.model
        )
    files.names.remove(stored)  # committed: the row owns it now
    return result.image


def render_inputs(generation: Generation, spec: dict, files, attempt: int) -> RenderInputs:
    texts = dict(generation.customization_data.get("texts", {}))
    if generation.customization_data.get("ai", {}).get("copy"):
        texts.update(_copy_texts(generation, spec, attempt))
    images = {}
    for slot, asset_id in generation.customization_data.get("images", {}).items():
        asset = Asset.objects.filter(pk=asset_id, user=generation.user).first()
        if asset is None or not asset.file or asset.status != "active":
            raise InvalidGenerationRequest(
                {f"image_{slot}": "An image this generation uses was deleted or has expired."}
            )
        images[slot] = _open_stored_image(asset.file.name)
    background = _background_image(generation, files, attempt)
    slot = background_slot(spec)
    if background is not None and slot and slot not in images:
        images[slot] = background
    return RenderInputs(
        texts=texts,
        images=images,
        colors=dict(generation.customization_data.get("colors", {})),
        brand=brand_style_for(generation.brand_snapshot or {}, generation.parameters, spec),
        extra_fonts=template_font_services.extra_fonts_for_user(user=generation.user),
        sample_art=False,  # the user's ad shows what they gave, never the template's sample product
    )


@dataclass
class Rendered:
    format_key: str
    name: str
    stored: str
    thumb: str
    size: int
    width: int
    height: int
    adjustments: list[str]


def render_all(generation: Generation, files, on_format: Callable[..., None], attempt: int) -> list[Rendered]:
    spec = template_selectors.get_spec_for_generation(
        template_id=generation.template_id, version=generation.spec_version
    )
    inputs = render_inputs(generation, spec, files, attempt)
    output = generation.parameters.get("output_format", "png")
    quality = int(generation.parameters.get("quality", 90))
    brand = (generation.brand_snapshot or {}).get("name", "")
    results = []
    for key in generation.formats:
        if key == generation.formats[0]:
            on_format(key, "rendering")
        drawn = render_ad(spec, key, inputs)
        image = drawn.image
        if generation.watermarked:
            image = apply_watermark(image, avoid=[box.box for box in drawn.layer_boxes])
        content = encode_image(image, output, quality)
        # Names of this attempt's own: an attempt that lost its lease deletes only what it wrote.
        suffix = attempt_suffix(generation, attempt)
        name = readable_file_name(
            brand=brand,
            label=generation.template.name,
            ext=EXTENSIONS[output],
            format_key=key,
            when=generation.created_at,
            suffix=suffix,
        )
        stored = files.save(user_id=generation.user_id, name=name, content=content)
        thumb_name = name.rsplit(".", 1)[0] + "_thumb.webp"
        thumb = files.save(user_id=generation.user_id, name=thumb_name, content=asset_services.thumbnail_bytes(image))
        results.append(Rendered(key, name, stored, thumb, len(content), image.width, image.height, drawn.adjustments))
        # One update per format: this one done, the next one rendering.
        following = generation.formats.index(key) + 1
        on_format(key, "done", generation.formats[following] if following < len(generation.formats) else None)
    return results
