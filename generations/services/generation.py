"""Generations: pricing and requesting them, the job that renders them, variations, the sweep.

The money path (DESIGN.md section 5): a request takes credit holds in the same transaction that
creates the queued `Generation`, and the job is enqueued on commit. The job captures the holds in
the same transaction that marks it completed and creates its `Asset` rows; any failure releases
them. Files are written under names fixed by the generation and format, so a job that runs again
(a retry, a redelivery after a worker died) overwrites its own files instead of leaving orphans,
and the unique (generation, format) constraint keeps one result per format.
"""

import io
import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from PIL import Image

from accounts.models import BrandProfile
from credits import services as credit_services
from credits.errors import CreditError
from credits.models import CreditHold
from generations import notifications, providers
from generations.errors import GenerationNotRetryable, InvalidGenerationRequest
from generations.models import (
    ACTIVE_STATUSES,
    Asset,
    AssetKind,
    Generation,
    GenerationStatus,
    ProviderCall,
    VariationKind,
)
from generations.naming import readable_file_name
from generations.services import assets as asset_services
from generations.services import operations as operation_services
from generations.services import providers as provider_services
from generations.tasks import generation as generation_tasks
from generations.watermark import apply_watermark
from templates_app import selectors as template_selectors
from templates_app.errors import TemplateSpecError, TextDoesNotFit
from templates_app.models import AdTemplate
from templates_app.renderer import BrandStyle, RenderInputs, encode_image, render_ad
from templates_app.services import fonts as template_font_services
from templates_app.services import templates as template_services
from templates_app.spec import FORMAT_KEYS
from templates_app.spec.schema import HEX_COLOR

logger = logging.getLogger(__name__)

OUTPUT_FORMATS = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
EXTENSIONS = {"png": "png", "jpeg": "jpg", "webp": "webp"}
PALETTE_KEYS = ("primary", "secondary", "accent", "background", "text")
# Permutations of (primary, secondary, accent) a palette variant cycles through; background and text
# stay as the brand has them so the contrast the template was designed for holds.
PALETTE_ROTATIONS = ((2, 1, 0), (1, 0, 2), (0, 2, 1), (1, 2, 0), (2, 0, 1))
AI_BACKGROUND_SIZE = (1920, 1920)


# -- prices -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceLine:
    operation: str
    label: str
    quantity: int
    unit_cost: int
    total: int


@dataclass(frozen=True)
class GenerationPrice:
    lines: list[PriceLine]
    total: int
    available: int
    allowed: bool
    reason: str = ""

    @property
    def needs_credits(self) -> int:
        return max(0, self.total - self.available)


def price_generation(
    *,
    user,
    format_count: int,
    count: int = 1,
    ai_copy: bool = False,
    ai_background: bool = False,
    first_is_variation: bool = False,
) -> GenerationPrice:
    """What `count` generations of `format_count` formats cost this user now, and whether they may.

    The first generation renders at the per-format price (or the variation price when it is itself a
    variation); each further one is a variation of it. AI copy and an AI background are priced per
    generation that uses them.
    """
    lines: list[PriceLine] = []
    reasons: list[str] = []
    available = None

    def add(operation: str, label: str, quantity: int) -> None:
        nonlocal available
        if quantity <= 0:
            return
        quote = credit_services.quote(user=user, operation=operation, quantity=quantity)
        available = quote.available
        lines.append(PriceLine(operation, label, quantity, quote.unit_cost, quote.total))
        if not quote.allowed and quote.affordable:
            reasons.append(quote.reason)

    first_op = "variation" if first_is_variation else "generate_format"
    add(first_op, "Formats rendered" if not first_is_variation else "Variation formats", format_count)
    add("variation", "Variations (formats each)", format_count * (count - 1))
    if ai_copy:
        add("ai_copy", "AI copy", count)
    if ai_background:
        add("ai_image", "AI background", count)
    total = sum(line.total for line in lines)
    available = available if available is not None else 0
    if not reasons and total > available:
        reasons.append(f"This needs {total} credits and you have {available} available.")
    return GenerationPrice(lines=lines, total=total, available=available, allowed=not reasons, reason=" ".join(reasons))


# -- requests -----------------------------------------------------------------------------------


@dataclass
class GenerationRequest:
    """What the customise form (or the API) asks for, before it is checked against the template."""

    template_id: object
    formats: list[str]
    texts: dict[str, str] = field(default_factory=dict)
    colors: dict[str, str] = field(default_factory=dict)
    image_asset_ids: dict[str, str] = field(default_factory=dict)
    # Files uploaded with the request (slot -> uploaded file): stored as the user's images.
    image_uploads: dict[str, object] = field(default_factory=dict)
    count: int = 1
    ai_copy: bool = False
    ai_background: bool = False
    ai_prompt: str = ""
    output_format: str = "png"
    quality: int = 90
    request_key: str | None = None


def _template_slots(spec: dict) -> dict[str, dict]:
    return spec.get("slots", {})


def check_request(*, user, request: GenerationRequest, spec: dict) -> dict:
    """Validate a request against the template's slots; returns the customisation data to store.

    Raises InvalidGenerationRequest naming each faulty field.
    """
    problems: dict[str, str] = {}
    slots = _template_slots(spec)
    formats = [key for key in FORMAT_KEYS if key in set(request.formats)]
    unknown = sorted(set(request.formats) - set(FORMAT_KEYS))
    if unknown:
        problems["formats"] = f"Unknown format {', '.join(unknown)}; choose from {', '.join(FORMAT_KEYS)}."
    elif not formats:
        problems["formats"] = "Choose at least one format."
    if not 1 <= request.count <= settings.GENERATION_MAX_VARIATIONS:
        problems["count"] = f"Choose between 1 and {settings.GENERATION_MAX_VARIATIONS} versions."
    if request.output_format not in OUTPUT_FORMATS:
        problems["output_format"] = "Choose PNG, JPEG or WebP."
    if not 50 <= request.quality <= 100:
        problems["quality"] = "Quality is between 50 and 100."

    texts: dict[str, str] = {}
    for name, value in request.texts.items():
        slot = slots.get(name)
        if slot is None or slot["type"] != "text":
            problems[f"text_{name}"] = f"The template has no text called '{name}'."
            continue
        value = (value or "").strip()
        limit = slot.get("max_chars", 100)
        if len(value) > limit:
            problems[f"text_{name}"] = f"{slot['label']} is {len(value)} characters; the limit is {limit}."
        elif value:
            texts[name] = value
    colors: dict[str, str] = {}
    for name, value in request.colors.items():
        slot = slots.get(name)
        if slot is None or slot["type"] != "color":
            problems[f"color_{name}"] = f"The template has no colour called '{name}'."
        elif value and not HEX_COLOR.match(value):
            problems[f"color_{name}"] = f"{slot.get('label', name)}: use a colour like #1E2A78."
        elif value:
            colors[name] = value.upper()
    images: dict[str, str] = {}
    for name, asset_id in request.image_asset_ids.items():
        slot = slots.get(name)
        if slot is None or slot["type"] != "image":
            problems[f"image_{name}"] = f"The template has no image called '{name}'."
            continue
        asset = Asset.objects.filter(user=user, pk=asset_id, status="active").exclude(file_format="svg").first()
        if asset is None:
            problems[f"image_{name}"] = f"{slot.get('label', name)}: that image is not in your library."
        else:
            images[name] = str(asset.pk)
    for name in request.image_uploads:
        slot = slots.get(name)
        if slot is None or slot["type"] != "image":
            problems[f"image_{name}"] = f"The template has no image called '{name}'."
    if request.ai_background and background_slot(spec) is None:
        problems["ai_background"] = "This template has no background image to generate."
    if len(request.ai_prompt) > 500:
        problems["ai_prompt"] = "Describe the background in at most 500 characters."
    if problems:
        raise InvalidGenerationRequest(problems)
    return {
        "texts": texts,
        "colors": colors,
        "images": images,
        "ai": {"copy": request.ai_copy, "background": request.ai_background, "prompt": request.ai_prompt.strip()},
        "formats": formats,
    }


def background_slot(spec: dict) -> str | None:
    """The image slot an AI background fills: the first slot with role 'background'."""
    for name, slot in _template_slots(spec).items():
        if slot["type"] == "image" and slot.get("role") == "background":
            return name
    return None


def brand_snapshot(*, user) -> dict:
    brand = BrandProfile.objects.filter(user=user).first()
    if brand is None:
        return {}
    return {
        "name": brand.name,
        "colors": dict(brand.palette_items),
        "typography": dict(brand.typography or {}),
        "voice": dict(brand.brand_voice or {}),
        "messaging": dict(brand.messaging_patterns or {}),
        "logo": brand.logo.name if brand.logo else "",
    }


def _take_holds(*, user, generation: Generation, price_ops: list[tuple[str, int, str]]) -> None:
    """One hold per priced part, keyed by the generation so a retried request never holds twice."""
    for operation, quantity, attr in price_ops:
        if quantity <= 0:
            continue
        hold, _quote = credit_services.hold_for_operation(
            user=user,
            operation=operation,
            quantity=quantity,
            reference_type="generation",
            reference_id=str(generation.pk),
            idempotency_key=f"generation:{generation.pk}:{attr}",
            description=f"{generation.template.name}: {operation.replace('_', ' ')} × {quantity}",
            ttl=timedelta(seconds=settings.CREDITS_HOLD_TTL_SECONDS),
        )
        setattr(generation, attr, hold)


def _hold_plan(*, format_count: int, is_variation: bool, ai_copy: bool, ai_background: bool):
    return [
        ("variation" if is_variation else "generate_format", format_count, "hold"),
        ("ai_copy", 1 if ai_copy else 0, "copy_hold"),
        ("ai_image", 1 if ai_background else 0, "image_hold"),
    ]


def _held_total(generation: Generation) -> int:
    return sum(hold.amount for hold in (generation.hold, generation.copy_hold, generation.image_hold) if hold)


def _create_generation(
    *,
    user,
    template: AdTemplate,
    customization: dict,
    request: GenerationRequest,
    parent: Generation | None,
    variation_kind: str,
    parameters: dict,
    snapshot: dict,
    request_key: str | None,
    watermarked: bool,
) -> Generation:
    now = timezone.now()
    generation = Generation.objects.create(
        user=user,
        template=template,
        spec_version=template.spec_version,
        parent=parent,
        variation_kind=variation_kind,
        formats=customization["formats"],
        customization_data=customization,
        parameters=parameters,
        brand_snapshot=snapshot,
        seed=parameters["seed"],
        provider="builtin",
        watermarked=watermarked,
        progress=dict.fromkeys(customization["formats"], "queued"),
        queued_at=now,
        request_key=request_key,
    )
    ai = customization["ai"]
    _take_holds(
        user=user,
        generation=generation,
        price_ops=_hold_plan(
            format_count=len(customization["formats"]),
            is_variation=parent is not None,
            ai_copy=ai["copy"],
            ai_background=ai["background"],
        ),
    )
    generation.credits_quoted = _held_total(generation)
    generation.save(update_fields=["hold", "copy_hold", "image_hold", "credits_quoted", "updated_at"])
    return generation


def _enqueue(generation_ids: Iterable) -> None:
    for generation_id in generation_ids:
        generation_tasks.render_generation_task.delay(str(generation_id))


def _new_seed() -> int:
    return random.SystemRandom().randrange(1, 2**31)


def request_generation(*, user, request: GenerationRequest) -> list[Generation]:
    """Check, price, hold and queue `request.count` generations (the first, and variations of it).

    Raises InvalidGenerationRequest for bad input and a CreditError (with a message saying how
    many credits are missing) when the user cannot pay; nothing is created in either case. The same
    `request_key` again returns the generations it created the first time.
    """
    if request.request_key:
        existing = list(
            Generation.objects.filter(user=user)
            .filter(Q(request_key=request.request_key) | Q(request_key__startswith=f"{request.request_key}/"))
            .order_by("created_at")
        )
        if existing:
            return existing
    template = AdTemplate.objects.filter(pk=request.template_id, is_active=True).first()
    if template is None:
        raise InvalidGenerationRequest({"template": "This template is not available."})
    spec = template_selectors.get_spec_for_generation(template_id=template.pk, version=template.spec_version)
    customization = check_request(user=user, request=request, spec=spec)
    provider_problems = _provider_problems(customization["ai"])
    if provider_problems:
        raise InvalidGenerationRequest(provider_problems)
    snapshot = brand_snapshot(user=user)
    watermarked = credit_services.plans.watermark_required(user=user)
    base_parameters = {"output_format": request.output_format, "quality": request.quality}
    try:
        with asset_services.stored_files() as files, transaction.atomic():
            _store_uploads(user=user, request=request, spec=spec, customization=customization, files=files)
            first = _create_generation(
                user=user,
                template=template,
                customization=customization,
                request=request,
                parent=None,
                variation_kind="",
                parameters={**base_parameters, "seed": _new_seed()},
                snapshot=snapshot,
                request_key=request.request_key,
                watermarked=watermarked,
            )
            created = [first]
            for index in range(1, request.count):
                created.append(
                    _create_generation(
                        user=user,
                        template=template,
                        customization=customization,
                        request=request,
                        parent=first,
                        variation_kind=VariationKind.SEED,
                        parameters={**base_parameters, "seed": _new_seed()},
                        snapshot=snapshot,
                        request_key=f"{request.request_key}/{index}" if request.request_key else None,
                        watermarked=watermarked,
                    )
                )
            transaction.on_commit(lambda: _enqueue([generation.pk for generation in created]))
    except IntegrityError:
        # The same request key raced itself: the other request created them.
        if request.request_key:
            return list(Generation.objects.filter(user=user, request_key=request.request_key))
        raise
    return created


def _store_uploads(*, user, request: GenerationRequest, spec: dict, customization: dict, files) -> None:
    slots = _template_slots(spec)
    for name, upload in request.image_uploads.items():
        try:
            [asset] = operation_services.upload_images(user=user, uploads=[upload], files=files)
        except operation_services.UploadRejected as exc:
            reason = "; ".join(message for _file, message in exc.problems)
            raise InvalidGenerationRequest({f"image_{name}": f"{slots[name].get('label', name)}: {reason}"}) from exc
        customization["images"][name] = str(asset.pk)


def _provider_problems(ai: dict) -> dict[str, str]:
    status = provider_services.feature_status()
    problems = {}
    if ai.get("copy") and not status["ai_copy"].available:
        problems["ai_copy"] = status["ai_copy"].message
    if ai.get("background") and not status["ai_image"].available:
        problems["ai_background"] = status["ai_image"].message
    return problems


def request_variation(*, user, generation_id, kind: str, request_key: str | None = None) -> Generation:
    """ "More like this": a new generation from the same template and inputs, linked to its parent,
    with a new seed (a new AI background), a palette variant or a copy variant (AI copy)."""
    parent = Generation.objects.select_related("template").filter(user=user, pk=generation_id).first()
    if parent is None:
        raise InvalidGenerationRequest({"generation": "No such generation."})
    if request_key:
        existing = Generation.objects.filter(user=user, request_key=request_key).first()
        if existing:
            return existing
    if kind not in VariationKind.values:
        raise InvalidGenerationRequest({"kind": "Choose a new seed, a palette variant or a copy variant."})
    if parent.status != GenerationStatus.COMPLETED:
        raise InvalidGenerationRequest({"kind": "Wait until this generation has finished."})
    if not parent.template.is_active:
        raise InvalidGenerationRequest({"template": "This template is no longer available."})
    customization = {**parent.customization_data, "ai": dict(parent.customization_data.get("ai", {}))}
    parameters = {**parent.parameters, "seed": _new_seed()}
    if kind == VariationKind.SEED and not customization["ai"].get("background"):
        raise InvalidGenerationRequest(
            {"kind": "A new seed changes the AI background, and this ad has none. Try a palette variant."}
        )
    if kind == VariationKind.PALETTE:
        parameters["palette_variant"] = int(parent.parameters.get("palette_variant", 0)) + 1
    if kind == VariationKind.COPY:
        customization["ai"]["copy"] = True
    # Only what changes is bought again: a copy variant pays for new copy, a new seed for a new
    # background; a palette variant re-renders with what the parent had.
    customization["ai"]["background"] = kind == VariationKind.SEED
    if kind != VariationKind.COPY:
        customization["ai"]["copy"] = False
        if parent.prompt_data.get("copy"):
            customization["texts"] = {**customization.get("texts", {}), **parent.prompt_data["copy"]}
    if kind != VariationKind.SEED and parent.customization_data.get("ai", {}).get("background"):
        parameters["background_asset"] = parent.prompt_data.get("background_asset", "")
    problems = _provider_problems(customization["ai"])
    if problems:
        raise InvalidGenerationRequest(problems)
    with transaction.atomic():
        generation = _create_generation(
            user=user,
            template=parent.template,
            customization=customization,
            request=None,
            parent=parent,
            variation_kind=kind,
            parameters=parameters,
            snapshot=brand_snapshot(user=user),
            request_key=request_key,
            watermarked=credit_services.plans.watermark_required(user=user),
        )
        # The lineage keeps the parent's spec version, so a variation looks like its parent.
        generation.spec_version = parent.spec_version
        generation.save(update_fields=["spec_version", "updated_at"])
        transaction.on_commit(lambda: _enqueue([generation.pk]))
    return generation


def variation_options(generation: Generation) -> list[dict]:
    """The kinds of "more like this" and whether each applies to this generation, with the reason
    when it does not (the page shows them all, the ones that do not apply switched off)."""
    features = provider_services.feature_status()
    has_background = bool((generation.customization_data.get("ai") or {}).get("background"))
    options = [
        {
            "value": VariationKind.PALETTE,
            "label": "Palette variant",
            "available": True,
            "reason": "Your brand colours in another arrangement.",
        },
        {
            "value": VariationKind.COPY,
            "label": "Copy variant",
            "available": features["ai_copy"].available,
            "reason": "New words in your brand's voice."
            if features["ai_copy"].available
            else features["ai_copy"].message,
        },
        {
            "value": VariationKind.SEED,
            "label": "New seed",
            "available": has_background and features["ai_image"].available,
            "reason": "A new AI background." if has_background else "Only for ads with an AI background.",
        },
    ]
    return options


# -- the job ------------------------------------------------------------------------------------


class RetryLater(Exception):
    """A provider failed in a way that may pass; the task retries after `countdown` seconds."""

    def __init__(self, countdown: float) -> None:
        self.countdown = countdown
        super().__init__(f"retry in {countdown:.1f}s")


def _lease() -> datetime:
    return timezone.now() + timedelta(seconds=settings.GENERATION_TIME_LIMIT_SECONDS)


def claim_generation(*, generation_id) -> bool:
    """Queued -> processing, once: a second worker (or a second delivery) finds nothing to claim."""
    now = timezone.now()
    claimed = Generation.objects.filter(pk=generation_id, status=GenerationStatus.QUEUED).update(
        status=GenerationStatus.PROCESSING,
        attempts=F("attempts") + 1,
        started_at=now,
        lease_expires_at=_lease(),
        updated_at=now,
    )
    return claimed == 1


def _set_progress(generation: Generation, format_key: str, state: str, next_key: str | None = None) -> None:
    generation.progress = {**generation.progress, format_key: state}
    if next_key:
        generation.progress[next_key] = "rendering"
    Generation.objects.filter(pk=generation.pk, status=GenerationStatus.PROCESSING).update(
        progress=generation.progress, lease_expires_at=_lease(), updated_at=timezone.now()
    )


def _open_stored_image(name: str) -> Image.Image:
    with default_storage.open(name, "rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image


def _palette_for(snapshot: dict, parameters: dict) -> dict[str, str]:
    colors = {key: value for key, value in (snapshot.get("colors") or {}).items() if key in PALETTE_KEYS}
    variant = int(parameters.get("palette_variant", 0))
    if variant and all(key in colors for key in ("primary", "secondary", "accent")):
        trio = [colors["primary"], colors["secondary"], colors["accent"]]
        order = PALETTE_ROTATIONS[(variant - 1) % len(PALETTE_ROTATIONS)]
        colors.update(zip(("primary", "secondary", "accent"), (trio[i] for i in order), strict=True))
    return colors


def brand_style_for(snapshot: dict, parameters: dict | None = None) -> BrandStyle:
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
        colors={**defaults.colors, **_palette_for(snapshot, parameters or {})},
        heading_font=typography.get("heading_font") or defaults.heading_font,
        body_font=typography.get("body_font") or defaults.body_font,
        logo=logo,
    )


def _copy_texts(generation: Generation, spec: dict) -> dict[str, str]:
    """AI copy in the brand's voice, asked once per generation and kept in its lineage."""
    if generation.prompt_data.get("copy"):
        return generation.prompt_data["copy"]
    slots = {
        name: {
            "label": slot["label"],
            "max_chars": slot.get("max_chars", 100),
            "text": generation.customization_data.get("texts", {}).get(name) or slot.get("default", ""),
        }
        for name, slot in _template_slots(spec).items()
        if slot["type"] == "text"
    }
    snapshot = generation.brand_snapshot or {}
    result = provider_services.write_copy_variants(
        user=generation.user,
        brand={
            "name": snapshot.get("name", ""),
            "voice": snapshot.get("voice", {}),
            "messaging": snapshot.get("messaging", {}),
        },
        slots=slots,
        count=1,
        generation=generation,
        attempt=generation.attempts,
    )
    copy = result.variants[0]
    generation.prompt_data = {
        **generation.prompt_data,
        "copy": copy,
        "copy_provider": result.provider,
        "copy_model": result.model,
    }
    Generation.objects.filter(pk=generation.pk).update(prompt_data=generation.prompt_data)
    return copy


def _background_image(generation: Generation, files: asset_services.StoredFiles) -> Image.Image | None:
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
        attempt=generation.attempts,
    )
    content = encode_image(result.image, "png")
    name = readable_file_name(
        brand=snapshot.get("name", ""),
        label=f"{generation.template.name} background",
        ext="png",
        when=generation.created_at,
        suffix=generation.pk.hex[:8],
    )
    stored = _replace_file(generation.user_id, name, content, files)
    with transaction.atomic():
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


def _replace_file(user_id, name: str, content: bytes, files: asset_services.StoredFiles) -> str:
    """Write under a fixed name: a file an earlier attempt left there is replaced, not duplicated."""
    full = f"assets/{user_id}/{name}"
    if default_storage.exists(full):
        default_storage.delete(full)
    return files.save(user_id=user_id, name=name, content=content)


def _render_inputs(generation: Generation, spec: dict, files) -> RenderInputs:
    texts = dict(generation.customization_data.get("texts", {}))
    if generation.customization_data.get("ai", {}).get("copy"):
        texts.update(_copy_texts(generation, spec))
    images = {}
    for slot, asset_id in generation.customization_data.get("images", {}).items():
        asset = Asset.objects.filter(pk=asset_id, user=generation.user).first()
        if asset is None or not asset.file or asset.status != "active":
            raise InvalidGenerationRequest(
                {f"image_{slot}": "An image this generation uses was deleted or has expired."}
            )
        images[slot] = _open_stored_image(asset.file.name)
    background = _background_image(generation, files)
    slot = background_slot(spec)
    if background is not None and slot and slot not in images:
        images[slot] = background
    return RenderInputs(
        texts=texts,
        images=images,
        colors=dict(generation.customization_data.get("colors", {})),
        brand=brand_style_for(generation.brand_snapshot or {}, generation.parameters),
        extra_fonts=template_font_services.extra_fonts_for_user(user=generation.user),
    )


@dataclass
class _Rendered:
    format_key: str
    name: str
    stored: str
    thumb: str
    size: int
    width: int
    height: int


def _render_all(generation: Generation, files, on_format: Callable[..., None]) -> list[_Rendered]:
    spec = template_selectors.get_spec_for_generation(
        template_id=generation.template_id, version=generation.spec_version
    )
    inputs = _render_inputs(generation, spec, files)
    output = generation.parameters.get("output_format", "png")
    quality = int(generation.parameters.get("quality", 90))
    brand = (generation.brand_snapshot or {}).get("name", "")
    results = []
    for key in generation.formats:
        if key == generation.formats[0]:
            on_format(key, "rendering")
        image = render_ad(spec, key, inputs).image
        if generation.watermarked:
            image = apply_watermark(image)
        content = encode_image(image, output, quality)
        suffix = generation.pk.hex[:8]
        name = readable_file_name(
            brand=brand,
            label=generation.template.name,
            ext=EXTENSIONS[output],
            format_key=key,
            when=generation.created_at,
            suffix=suffix,
        )
        stored = _replace_file(generation.user_id, name, content, files)
        thumb_name = name.rsplit(".", 1)[0] + "_thumb.webp"
        thumb = _replace_file(generation.user_id, thumb_name, asset_services.thumbnail_bytes(image), files)
        results.append(_Rendered(key, name, stored, thumb, len(content), image.width, image.height))
        # One update per format: this one done, the next one rendering.
        following = generation.formats.index(key) + 1
        on_format(key, "done", generation.formats[following] if following < len(generation.formats) else None)
    return results


def _holds(generation: Generation) -> list:
    return [hold_id for hold_id in (generation.hold_id, generation.copy_hold_id, generation.image_hold_id) if hold_id]


def _provider_cost(generation: Generation) -> Decimal:
    return ProviderCall.objects.filter(generation=generation).aggregate(total=Sum("cost"))["total"] or Decimal(0)


def _complete(generation: Generation, rendered: list[_Rendered], started: float) -> None:
    output = generation.parameters.get("output_format", "png")
    expires = asset_services.retention_expiry(user=generation.user)
    with transaction.atomic():
        # Locked: the sweep or a second delivery cannot finish (or fail) the same job meanwhile.
        current = Generation.objects.select_for_update().get(pk=generation.pk)
        if current.status != GenerationStatus.PROCESSING:
            raise _LostLease()
        Asset.objects.bulk_create(
            [
                Asset(
                    user_id=generation.user_id,
                    generation=generation,
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
                    metadata={"watermarked": generation.watermarked, "seed": generation.seed},
                    expires_at=expires,
                )
                for item in rendered
            ]
        )
        used = 0
        for hold_id in _holds(generation):
            hold = credit_services.capture_hold(hold_id=hold_id)
            used += hold.captured_amount or 0
        now = timezone.now()
        Generation.objects.filter(pk=generation.pk).update(
            status=GenerationStatus.COMPLETED,
            credits_used=used,
            provider_cost=_provider_cost(generation),
            completed_at=now,
            processing_time_ms=int((time.monotonic() - started) * 1000),
            lease_expires_at=None,
            progress=dict.fromkeys(generation.formats, "done"),
            error_code="",
            error_message="",
            updated_at=now,
        )
        template_services.record_template_use(template_id=generation.template_id)
        notifications.notify_on_commit(generation.pk)


class _LostLease(Exception):
    """The job was finished or failed by someone else (the sweep) while this attempt ran."""


def fail_generation(*, generation_id, message: str, code: str = "failed") -> bool:
    """Mark a queued or processing generation failed and release its holds; False if it had ended."""
    with transaction.atomic():
        generation = Generation.objects.select_for_update().filter(pk=generation_id).first()
        if generation is None or generation.status not in ACTIVE_STATUSES:
            return False
        for hold_id in _holds(generation):
            credit_services.release_hold(hold_id=hold_id)
        progress = {key: ("done" if state == "done" else "failed") for key, state in generation.progress.items()}
        now = timezone.now()
        Generation.objects.filter(pk=generation.pk).update(
            status=GenerationStatus.FAILED,
            error_code=code,
            error_message=message,
            completed_at=now,
            lease_expires_at=None,
            progress=progress,
            provider_cost=_provider_cost(generation),
            updated_at=now,
        )
        # An AI background made for a failed job was never paid for: it goes with the failure.
        orphans = list(Asset.objects.filter(generation_id=generation.pk, kind=AssetKind.AI_IMAGE))
        names = [name for asset in orphans for name in asset_services.asset_file_names(asset)]
        Asset.objects.filter(pk__in=[asset.pk for asset in orphans]).delete()
        transaction.on_commit(lambda: asset_services.delete_files(names))
        notifications.notify_on_commit(generation.pk)
    return True


def _requeue(generation_id) -> None:
    Generation.objects.filter(pk=generation_id, status=GenerationStatus.PROCESSING).update(
        status=GenerationStatus.QUEUED, lease_expires_at=None, updated_at=timezone.now()
    )


def run_generation(*, generation_id, final_attempt: bool = False) -> str:
    """The job: render every format, store the files, capture the holds. Safe to run twice.

    Returns what happened ("completed", "failed", "skipped"); raises RetryLater when a provider
    failed in a way that may pass and another attempt is allowed.
    """
    if not claim_generation(generation_id=generation_id):
        return "skipped"
    generation = Generation.objects.select_related("template", "user").get(pk=generation_id)
    started = time.monotonic()

    def on_format(key: str, state: str, next_key: str | None = None) -> None:
        _set_progress(generation, key, state, next_key)

    try:
        with asset_services.stored_files() as files:
            rendered = _render_all(generation, files, on_format)
            _complete(generation, rendered, started)
    except _LostLease:
        return "skipped"
    except providers.TransientProviderError as exc:
        if final_attempt or generation.attempts >= settings.GENERATION_MAX_ATTEMPTS:
            fail_generation(
                generation_id=generation_id,
                message=f"The AI provider is not answering right now ({exc.message}). No credits were taken; try again later.",
                code="provider_unavailable",
            )
            return "failed"
        _requeue(generation_id)
        countdown = exc.retry_after if exc.retry_after is not None else 2**generation.attempts
        raise RetryLater(min(float(countdown), 300.0)) from exc
    except (providers.ProviderError, InvalidGenerationRequest, TextDoesNotFit, TemplateSpecError, CreditError) as exc:
        fail_generation(generation_id=generation_id, message=f"{exc.message} No credits were taken.", code=exc.code)
        return "failed"
    except Exception:
        logger.exception("generation failed", extra={"generation_id": str(generation_id)})
        fail_generation(
            generation_id=generation_id,
            message="Something went wrong while making your ads, and no credits were taken. Please try again.",
            code="internal_error",
        )
        return "failed"
    return "completed"


def retry_generation(*, actor, generation_id) -> Generation:
    """Staff: run a failed generation again as a new request with the same inputs (new holds)."""
    original = Generation.objects.select_related("template", "user").get(pk=generation_id)
    if original.status != GenerationStatus.FAILED:
        raise GenerationNotRetryable()
    customization = original.customization_data
    with transaction.atomic():
        generation = _create_generation(
            user=original.user,
            template=original.template,
            customization=customization,
            request=None,
            parent=original.parent,
            variation_kind=original.variation_kind,
            parameters=dict(original.parameters),
            snapshot=original.brand_snapshot,
            request_key=None,
            watermarked=original.watermarked,
        )
        generation.spec_version = original.spec_version
        generation.save(update_fields=["spec_version", "updated_at"])
        transaction.on_commit(lambda: _enqueue([generation.pk]))
    return generation


# -- the sweep ----------------------------------------------------------------------------------


def sweep_stuck_generations(*, now: datetime | None = None) -> dict[str, int]:
    """Processing jobs whose lease ran out (their worker died or hung): queued again while attempts
    remain, failed with their holds released after the last. Queued jobs nobody picked up for a whole
    time limit are enqueued again (a lost message)."""
    now = now or timezone.now()
    requeued = failed = 0
    stuck = list(
        Generation.objects.filter(status=GenerationStatus.PROCESSING, lease_expires_at__lt=now).values_list(
            "pk", "attempts"
        )
    )
    for generation_id, attempts in stuck:
        if attempts >= settings.GENERATION_MAX_ATTEMPTS:
            if fail_generation(
                generation_id=generation_id,
                message="Making your ads took too long and was stopped. No credits were taken; please try again.",
                code="timed_out",
            ):
                failed += 1
        else:
            with transaction.atomic():
                moved = Generation.objects.filter(
                    pk=generation_id, status=GenerationStatus.PROCESSING, lease_expires_at__lt=now
                ).update(status=GenerationStatus.QUEUED, lease_expires_at=None, queued_at=now, updated_at=now)
                if moved:
                    requeued += 1
                    transaction.on_commit(lambda generation_id=generation_id: _enqueue([generation_id]))
    limit = timedelta(seconds=settings.GENERATION_TIME_LIMIT_SECONDS)
    lost = list(
        Generation.objects.filter(status=GenerationStatus.QUEUED, queued_at__lt=now - limit).values_list(
            "pk", flat=True
        )
    )
    if lost:
        Generation.objects.filter(pk__in=lost).update(queued_at=now)
        transaction.on_commit(lambda: _enqueue(lost))
    return {"requeued": requeued + len(lost), "failed": failed}


def queue_position(generation: Generation) -> int | None:
    """1 for the next job to run; None once it runs."""
    if generation.status != GenerationStatus.QUEUED:
        return None
    if generation.queued_at is None:
        return Generation.objects.filter(status=GenerationStatus.QUEUED, queued_at__isnull=False).count() + 1
    return Generation.objects.filter(status=GenerationStatus.QUEUED, queued_at__lt=generation.queued_at).count() + 1


def unsettled_holds(generation: Generation) -> list[CreditHold]:
    return list(CreditHold.objects.filter(pk__in=_holds(generation)))
