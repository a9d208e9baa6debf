"""AI providers as the rest of the app uses them: which one is on for each feature, and the calls.

A remote provider is used only when staff enabled it in the admin (AIProvider) and its environment
variables are set; the first such provider in `REMOTE_ORDER` wins. Backgrounds fall back to the
built-in offline renderer; copy has no offline provider (ProviderNotConfigured); upscaling and
background removal return None so the caller uses its own offline implementation.

Every attempt (one HTTP request, or one built-in render) writes exactly one ProviderCall row: how it
ended, its HTTP status, its latency and, when the provider charged for it, the price of the call
from the ProviderPrice effective today. Rows and logs hold sizes and lengths, never keys, prompts'
secrets or image bytes. Errors are raised to the caller (the job decides about retries:
TransientProviderError carries `retry_after`).
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from django.utils import timezone
from PIL import Image, ImageOps

from generations.models import AIProvider, CallStatus, ProviderCall, ProviderKind, ProviderOperation, ProviderPrice
from generations.providers import (
    REMOTE_ORDER,
    MalformedResponse,
    Provider,
    ProviderError,
    ProviderImage,
    builtin,
    get_provider,
)
from templates_app.renderer.paint import parse_hex

logger = logging.getLogger(__name__)

T = TypeVar("T")

MIN_SIDE = 16
MAX_SIDE = 4096
MAX_PROMPT_CHARS = 1000
MAX_COPY_VARIANTS = 10
UPSCALE_FACTORS = (2, 4)
MAX_UPSCALED_PIXELS = 64_000_000
SIZE_TOLERANCE = 2  # pixels a provider's result may be off from the size asked for (rounding)
BRAND_COLOR_KEYS = ("primary", "secondary", "accent", "background", "text")
NEGATIVE_PROMPT = "text, letters, words, typography, watermark, signature, logo, frame, border, blurry, low quality"
DID_NOT_FIT = "The AI answer did not fit the text limits."
UNREADABLE = "The AI service's answer could not be read. Please try again."

FEATURES = {
    "ai_image": ProviderOperation.IMAGE,
    "ai_copy": ProviderOperation.COPY,
    "upscale": ProviderOperation.UPSCALE,
    "remove_background": ProviderOperation.REMOVE_BACKGROUND,
}
# How each feature's remote provider is named in messages.
NEEDS = {
    ProviderOperation.IMAGE: "an OpenAI-compatible or Automatic1111 image provider",
    ProviderOperation.COPY: "an OpenAI-compatible provider",
    ProviderOperation.UPSCALE: "an Automatic1111 server",
    ProviderOperation.REMOVE_BACKGROUND: "an Automatic1111 server with the rembg extension",
}


@dataclass(frozen=True)
class FeatureStatus:
    available: bool
    provider: str
    model: str
    message: str


@dataclass(frozen=True)
class ImageResult:
    image: Image.Image
    provider: str
    model: str
    cost: Decimal


@dataclass(frozen=True)
class CopyResult:
    variants: list[dict[str, str]]
    provider: str
    model: str
    cost: Decimal


@dataclass(frozen=True)
class _Choice:
    provider: Provider
    model: str


# -- which provider -----------------------------------------------------------------------------


def _switches() -> dict[str, AIProvider]:
    return {row.key: row for row in AIProvider.objects.all()}


def _model(provider: Provider, row: AIProvider | None, operation: str) -> str:
    chosen = ""
    if row is not None and operation == ProviderOperation.IMAGE:
        chosen = row.image_model
    elif row is not None and operation == ProviderOperation.COPY:
        chosen = row.chat_model
    return chosen.strip() or provider.default_model(operation)


def _remote_choice(operation: str, switches: dict[str, AIProvider]) -> _Choice | None:
    for key in REMOTE_ORDER[operation]:
        provider, row = get_provider(key), switches.get(key)
        if row is None or not row.enabled or not provider.supports(operation) or not provider.is_configured(operation):
            continue
        model = _model(provider, row, operation)
        if operation in (ProviderOperation.IMAGE, ProviderOperation.COPY) and not model and key == ProviderKind.OPENAI:
            continue  # the OpenAI API needs a model name
        return _Choice(provider, model)
    return None


def _builtin_choice() -> _Choice:
    provider = builtin()
    return _Choice(provider, provider.default_model(ProviderOperation.IMAGE))


def _why_not(key: str, operation: str, switches: dict[str, AIProvider]) -> str:
    """What staff must do before a remote provider is used for an operation, in words."""
    provider, row = get_provider(key), switches.get(key)
    steps = []
    missing = provider.missing_settings(operation)
    if not missing and key == ProviderKind.OPENAI and not _model(provider, row, operation):
        missing = ["OPENAI_IMAGE_MODEL" if operation == ProviderOperation.IMAGE else "OPENAI_CHAT_MODEL"]
    if missing:
        steps.append("set " + " and ".join(missing))
    if row is None or not row.enabled:
        steps.append("enable it in the admin")
    return " and ".join(steps)


AVAILABLE_MESSAGES = {
    ProviderOperation.IMAGE: "AI backgrounds and scenes are made by {provider}{model}.",
    ProviderOperation.COPY: "AI copy is written by {provider}{model}.",
    ProviderOperation.UPSCALE: "AI upscaling uses {provider}{model}.",
    ProviderOperation.REMOVE_BACKGROUND: "AI background removal uses {provider}{model}.",
}
FEATURE_NAMES = {
    ProviderOperation.COPY: "AI copy",
    ProviderOperation.UPSCALE: "AI upscaling",
    ProviderOperation.REMOVE_BACKGROUND: "AI background removal",
}


def feature_status() -> dict[str, FeatureStatus]:
    """For each AI feature: whether it works on this installation, with what, and why not, in words."""
    switches = _switches()
    result: dict[str, FeatureStatus] = {}
    for feature, operation in FEATURES.items():
        choice = _remote_choice(operation, switches)
        if choice is not None:
            message = AVAILABLE_MESSAGES[operation].format(
                provider=ProviderKind(choice.provider.key).label, model=f" ({choice.model})" if choice.model else ""
            )
            result[feature] = FeatureStatus(True, choice.provider.key, choice.model, message)
        elif operation == ProviderOperation.IMAGE:
            offline = _builtin_choice()
            options = "; or ".join(
                f"{ProviderKind(key).label}: {_why_not(key, operation, switches)}" for key in REMOTE_ORDER[operation]
            )
            result[feature] = FeatureStatus(
                True,
                offline.provider.key,
                offline.model,
                "AI backgrounds are drawn offline by the built-in renderer from your brand colours. "
                f"Photographic scenes need {NEEDS[operation]} ({options}).",
            )
        else:
            key = REMOTE_ORDER[operation][0]
            message = f"{FEATURE_NAMES[operation]} needs {NEEDS[operation]}: {_why_not(key, operation, switches)}."
            result[feature] = FeatureStatus(False, "", "", message)
    return result


# -- prices and call records --------------------------------------------------------------------


def price_for(*, provider: str, operation: str, model: str) -> Decimal:
    """The cost of one call from the active ProviderPrice effective today: the model's own price,
    else the provider's price for any model; 0 when staff set none."""
    prices = ProviderPrice.objects.filter(
        provider=provider,
        operation=operation,
        model__in={model, ""},
        is_active=True,
        effective_date__lte=timezone.localdate(),
    ).order_by("-effective_date")
    exact = fallback = None
    for price in prices:
        if price.model == model and model and exact is None:
            exact = price
        elif price.model == "" and fallback is None:
            fallback = price
    chosen = exact or fallback
    if chosen is None:
        logger.warning("no provider price set", extra={"provider": provider, "operation": operation, "model": model})
        return Decimal("0")
    return chosen.cost_per_call


def _record_attempt(
    *,
    choice: _Choice,
    operation: str,
    user,
    generation,
    image_operation,
    attempt: int,
    summary: dict,
    call: Callable[[], T],
) -> tuple[T, Decimal]:
    """Run one attempt and write its ProviderCall row, whatever the outcome; returns (result, cost).

    The cost is the price of the call when the provider charged for it: on success, and on an answer
    it delivered but that was of no use (a ProviderError with `billed`; its `cost` is set too)."""
    provider, model = choice.provider, choice.model
    started = time.monotonic()

    def write(*, status: str, status_code: int | None, cost: Decimal, error_message: str = "") -> None:
        latency_ms = round((time.monotonic() - started) * 1000)
        row = ProviderCall.objects.create(
            user=user,
            generation=generation,
            image_operation=image_operation,
            provider=provider.key,
            operation=operation,
            model=model,
            status=status,
            status_code=status_code,
            latency_ms=latency_ms,
            cost=cost,
            attempt=attempt,
            request_summary=summary,
            error_message=error_message,
        )
        logger.log(
            logging.INFO if status == CallStatus.SUCCESS else logging.WARNING,
            "AI provider call %s",
            status,
            extra={
                "provider_call_id": str(row.pk),
                "provider": provider.key,
                "operation": operation,
                "model": model,
                "status_code": status_code,
                "latency_ms": latency_ms,
                "generation_id": str(generation.pk) if generation is not None else None,
                "image_operation_id": str(image_operation.pk) if image_operation is not None else None,
            },
        )

    try:
        result = call()
    except ProviderError as error:
        cost = price_for(provider=provider.key, operation=operation, model=model) if error.billed else Decimal("0")
        error.cost = cost
        write(status=error.call_status, status_code=error.status_code, cost=cost, error_message=error.message)
        raise
    except Exception:
        write(status=CallStatus.ERROR, status_code=None, cost=Decimal("0"), error_message="Unexpected error.")
        raise
    cost = price_for(provider=provider.key, operation=operation, model=model)
    write(status=CallStatus.SUCCESS, status_code=getattr(result, "status_code", None), cost=cost)
    return result, cost


# -- backgrounds --------------------------------------------------------------------------------


def _check_size(size) -> tuple[int, int]:
    try:
        width, height = (int(side) for side in size)
    except (TypeError, ValueError) as exc:
        raise ProviderError("The image size must be two whole numbers.", code="invalid_size") from exc
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise ProviderError(
            f"The image size must be between {MIN_SIDE} and {MAX_SIDE} pixels a side.", code="invalid_size"
        )
    return width, height


def _check_colors(brand_colors: dict[str, str]) -> dict[str, str]:
    colors = {}
    for key in BRAND_COLOR_KEYS:
        value = (brand_colors or {}).get(key)
        if not value:
            continue
        try:
            parse_hex(str(value))
        except ValueError as exc:
            raise ProviderError(f"The brand colour {key} ({value}) is not a colour.", code="invalid_color") from exc
        colors[key] = str(value).upper()
    return colors


def _image_prompt(prompt: str, colors: dict[str, str]) -> str:
    palette = ", ".join(colors[key] for key in ("primary", "accent", "secondary", "background") if key in colors)
    parts = [prompt or "An abstract, modern background"]
    if palette:
        parts.append(f"Colour palette: {palette}.")
    parts.append(
        "For an advertisement: calm areas where a headline can sit, no text, no letters, no logos, no watermark."
    )
    return " ".join(parts)


def fit_to_size(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Scale and centre-crop to exactly `size` (the image covers the whole ad format)."""
    if image.size == size:
        return image
    return ImageOps.fit(image, size, method=Image.Resampling.LANCZOS, centering=(0.5, 0.5))


def generate_background(
    *,
    user,
    prompt: str,
    size: tuple[int, int],
    seed: int,
    brand_colors: dict[str, str],
    generation=None,
    attempt: int = 1,
) -> ImageResult:
    """A background (or product scene) of exactly `size`: from the enabled and configured remote image
    provider, else drawn offline by the built-in renderer. One ProviderCall row either way."""
    width, height = _check_size(size)
    colors = _check_colors(brand_colors)
    prompt = " ".join((prompt or "").split())
    if len(prompt) > MAX_PROMPT_CHARS:
        raise ProviderError(
            f"The image description is longer than {MAX_PROMPT_CHARS} characters.", code="invalid_prompt"
        )
    try:
        seed = int(seed)
    except (TypeError, ValueError) as exc:
        raise ProviderError("The seed must be a whole number.", code="invalid_seed") from exc
    choice = _remote_choice(ProviderOperation.IMAGE, _switches()) or _builtin_choice()
    full_prompt = _image_prompt(prompt, colors) if choice.provider.remote else prompt
    summary = {"size": f"{width}x{height}", "seed": seed, "prompt_chars": len(prompt)}

    def call():
        made = choice.provider.generate_image(
            prompt=full_prompt,
            negative_prompt=NEGATIVE_PROMPT,
            size=(width, height),
            seed=seed,
            brand_colors=colors,
            model=choice.model,
        )
        summary.update({k: v for k, v in made.details.items() if isinstance(v, str | int)})
        return made

    made, cost = _record_attempt(
        choice=choice,
        operation=ProviderOperation.IMAGE,
        user=user,
        generation=generation,
        image_operation=None,
        attempt=attempt,
        summary=summary,
        call=call,
    )
    image = fit_to_size(made.image, (width, height))
    return ImageResult(image=image, provider=choice.provider.key, model=choice.model, cost=cost)


# -- image operations ---------------------------------------------------------------------------


def _check_factor(value) -> int:
    """2 or 4 (also as "2" or 2.0, as forms and JSON send them)."""
    if isinstance(value, bool) or (value not in UPSCALE_FACTORS and str(value) not in map(str, UPSCALE_FACTORS)):
        raise ProviderError("Choose an upscale factor of 2 or 4.", code="invalid_factor")
    return int(value)


def run_image_operation_with_provider(
    *,
    user,
    operation: str,
    image: Image.Image,
    parameters: dict,
    image_operation=None,
    attempt: int = 1,
) -> ImageResult | None:
    """Upscale or remove the background of `image` with the enabled and configured remote provider
    for it; None when there is none (the caller then uses its offline implementation)."""
    if operation not in (ProviderOperation.UPSCALE, ProviderOperation.REMOVE_BACKGROUND):
        raise ProviderError("This image operation is not done by AI providers.", code="invalid_operation")
    choice = _remote_choice(operation, _switches())
    if choice is None:
        return None
    width, height = image.size
    summary: dict = {"size": f"{width}x{height}"}
    if operation == ProviderOperation.UPSCALE:
        factor = _check_factor((parameters or {}).get("factor", 2))
        target = (width * factor, height * factor)
        if target[0] * target[1] > MAX_UPSCALED_PIXELS:
            raise ProviderError(
                f"Upscaled {factor}×, this image would be {target[0]}×{target[1]} pixels; that is too large.",
                code="too_large",
            )
        summary["factor"] = factor

        def run() -> ProviderImage:
            return choice.provider.upscale(image=image, factor=factor, model=choice.model)

    else:
        target = (width, height)

        def run() -> ProviderImage:
            return choice.provider.remove_background(image=image, model=choice.model)

    def call() -> ProviderImage:
        made = run()
        got = made.image.size
        if abs(got[0] - target[0]) > SIZE_TOLERANCE or abs(got[1] - target[1]) > SIZE_TOLERANCE:
            raise MalformedResponse(
                f"{choice.provider.label} sent back an image of {got[0]}×{got[1]} pixels; "
                f"{target[0]}×{target[1]} was expected.",
                status_code=made.status_code,
            )
        return made

    made, cost = _record_attempt(
        choice=choice,
        operation=operation,
        user=user,
        generation=None,
        image_operation=image_operation,
        attempt=attempt,
        summary=summary,
        call=call,
    )
    result = made.image
    if result.size != target:
        # A server that rounds a size a pixel differently; anything further off was refused above.
        result = result.resize(target, Image.Resampling.LANCZOS)
    return ImageResult(image=result, provider=choice.provider.key, model=choice.model, cost=cost)
