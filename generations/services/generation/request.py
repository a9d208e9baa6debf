"""Requesting generations: check a request against its template, price and hold it, queue the jobs.

The money path (DESIGN.md section 5): a request takes credit holds in the same transaction that
creates the queued `Generation`s, and the jobs are sent (by name) when it commits; a broker that is
down then does not fail the request: the runner marks the job for the sweep to send again.
"""

import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import BrandProfile
from craftplatform import jobs
from credits import services as credit_services
from generations.errors import GenerationNotRetryable, InvalidGenerationRequest, RequestKeyConflict
from generations.models import Asset, Generation, GenerationStatus, VariationKind
from generations.services import assets as asset_services
from generations.services import operations as operation_services
from generations.services import priority as priority_services
from generations.services import providers as provider_services
from templates_app import selectors as template_selectors
from templates_app.models import AdTemplate
from templates_app.spec import FORMAT_KEYS
from templates_app.spec.values import HEX_COLOR

OUTPUT_FORMATS = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


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


def request_fingerprint(request: GenerationRequest) -> str:
    """What the request asks for, as a digest: the same request key must come with the same one."""
    data = {
        "template": str(request.template_id),
        "formats": sorted(set(request.formats)),
        "texts": {name: (value or "").strip() for name, value in sorted(request.texts.items())},
        "colors": {name: (value or "").upper() for name, value in sorted(request.colors.items())},
        "images": {name: str(value) for name, value in sorted(request.image_asset_ids.items())},
        "uploads": sorted(request.image_uploads),
        "count": request.count,
        "ai": [request.ai_copy, request.ai_background, request.ai_prompt.strip()],
        "output": [request.output_format, request.quality],
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _replay(*, user, request_key: str | None, fingerprint: str) -> list[Generation]:
    """The generations a request key made (the first and its variations), or [] when it is new.
    Raises RequestKeyConflict when they were made for a different request."""
    if not request_key:
        return []
    existing = list(
        Generation.objects.filter(user=user)
        .filter(Q(request_key=request_key) | Q(request_key__startswith=f"{request_key}/"))
        .order_by("created_at")
    )
    if not existing:
        return []
    first = next((generation for generation in existing if generation.request_key == request_key), existing[0])
    stored = first.parameters.get("request_fingerprint")
    if stored is not None and stored != fingerprint:
        raise RequestKeyConflict()
    return existing


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
        else:
            texts[name] = value
    # A text not sent at all takes the template's text (the API's default, as the page's form is
    # prefilled with it); a text sent blank is the user's choice: refused when the slot is required,
    # left out of the ad when optional. Never the sample copy in place of a cleared field.
    for name, value in texts.items():
        if not value and slots[name].get("required", True):
            label = slots[name].get("label", name)
            problems[f"text_{name}"] = f"{label} is required: write it, or pick a template without it."
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
        request_key=request_key,
        priority=priority_services.queue_priority(user=user),  # paid plans first (issue 12, item 17)
        **jobs.queued_fields(now),
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


def _new_seed() -> int:
    return random.SystemRandom().randrange(1, 2**31)


def request_generation(*, user, request: GenerationRequest) -> list[Generation]:
    """Check, price, hold and queue `request.count` generations (the first, and variations of it).

    Raises InvalidGenerationRequest for bad input and a CreditError (with a message saying how
    many credits are missing) when the user cannot pay; nothing is created in either case. The same
    `request_key` with the same request returns the generations it created the first time (all of
    them, on every path); with a different request it raises RequestKeyConflict.
    """
    fingerprint = request_fingerprint(request)
    replayed = _replay(user=user, request_key=request.request_key, fingerprint=fingerprint)
    if replayed:
        return replayed
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
    base_parameters = {
        "output_format": request.output_format,
        "quality": request.quality,
        "request_fingerprint": fingerprint,
    }
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
            for generation in created:
                jobs.enqueue(Generation, generation.pk)
    except IntegrityError:
        # The same request key raced itself: the other request created them (same answer, or 409).
        replayed = _replay(user=user, request_key=request.request_key, fingerprint=fingerprint)
        if replayed:
            return replayed
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
            if existing.parent_id != parent.pk or existing.variation_kind != kind:
                raise RequestKeyConflict("This request key was already used for a different variation.")
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
        jobs.enqueue(Generation, generation.pk)
    return generation


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
        jobs.enqueue(Generation, generation.pk)
    return generation
