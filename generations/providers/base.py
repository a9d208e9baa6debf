"""The provider interface: what every AI provider offers, and the image helpers they share.

A provider is a small object with one method per operation. Each method makes at most one request
(one attempt) and either returns what the provider made or raises a `ProviderError` subclass that
says how the attempt ended. Choosing a provider, recording calls and their cost, and asking again
belong to `generations.services.providers`; settings are read on every call, never at import.
"""

import base64
import binascii
import io
import warnings
from dataclasses import dataclass, field
from typing import ClassVar

from django.conf import settings
from PIL import Image, UnidentifiedImageError

from generations.models import ProviderOperation
from generations.providers.errors import MalformedResponse, ProviderError

IMAGE_FORMATS = ("PNG", "JPEG", "WEBP")


@dataclass(frozen=True)
class ProviderImage:
    """An image a provider made, decoded; `details` go into the call's summary (never image bytes)."""

    image: Image.Image
    status_code: int | None = None
    details: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ChatAnswer:
    """The text of a chat model's answer, with its HTTP status and token usage."""

    content: str
    status_code: int | None = None
    usage: dict = field(default_factory=dict)


class Provider:
    """One AI provider. Subclasses set the class attributes and implement the operations they offer."""

    key: ClassVar[str]
    label: ClassVar[str]
    remote: ClassVar[bool] = True
    operations: ClassVar[frozenset[str]] = frozenset()

    def missing_settings(self, operation: str | None = None) -> list[str]:
        """Names of the environment variables that must be set before this provider (for this
        operation) can be used. Empty when it is configured."""
        return []

    def is_configured(self, operation: str | None = None) -> bool:
        return not self.missing_settings(operation)

    def supports(self, operation: str) -> bool:
        return operation in self.operations

    def default_model(self, operation: str) -> str:
        """The model used for an operation when the admin names none."""
        return ""

    def describe_settings(self) -> str:
        """What is configured, in words, for staff (never a key or a password)."""
        missing = self.missing_settings()
        return "Configured" if not missing else "Not configured: set " + ", ".join(missing)

    # -- operations (one attempt each) ---------------------------------------------------------

    def generate_image(
        self,
        *,
        prompt: str,
        negative_prompt: str,
        size: tuple[int, int],
        seed: int,
        brand_colors: dict[str, str],
        model: str,
    ) -> ProviderImage:
        raise self._unsupported(ProviderOperation.IMAGE)

    def complete_json(self, *, messages: list[dict[str, str]], model: str) -> ChatAnswer:
        raise self._unsupported(ProviderOperation.COPY)

    def upscale(self, *, image: Image.Image, factor: int, model: str) -> ProviderImage:
        raise self._unsupported(ProviderOperation.UPSCALE)

    def remove_background(self, *, image: Image.Image, model: str) -> ProviderImage:
        raise self._unsupported(ProviderOperation.REMOVE_BACKGROUND)

    def _unsupported(self, operation: str) -> ProviderError:
        label = ProviderOperation(operation).label.lower()
        return ProviderError(f"{self.label} does not offer {label}.", code="unsupported_operation")


# -- images in and out ------------------------------------------------------------------------


def decode_base64_image(data: object, *, service: str, status_code: int | None = None) -> Image.Image:
    """A base64 string (optionally a data: URL) from a provider's JSON answer, decoded as a PNG,
    JPEG or WebP image within the pixel limit; anything else is a MalformedResponse."""
    if not isinstance(data, str) or not data:
        raise MalformedResponse(f"{service} answered without image data.", status_code=status_code)
    if data.startswith("data:"):
        data = data.partition(",")[2]
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedResponse(
            f"{service} sent image data that is not valid base64.", status_code=status_code
        ) from exc
    return decode_image(raw, service=service, status_code=status_code)


def decode_image(raw: bytes, *, service: str, status_code: int | None = None) -> Image.Image:
    max_pixels = settings.AI_PROVIDER_MAX_IMAGE_PIXELS
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(raw), formats=IMAGE_FORMATS)
            width, height = image.size
            if width * height > max_pixels:
                raise MalformedResponse(
                    f"{service} sent an image of {width}×{height} pixels, more than this installation accepts.",
                    status_code=status_code,
                )
            image.load()
        except MalformedResponse:
            raise
        except (
            UnidentifiedImageError,
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,
            OSError,
            SyntaxError,
            ValueError,
        ) as exc:
            raise MalformedResponse(
                f"{service} sent something that is not a readable image.", status_code=status_code
            ) from exc
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB")
    return image


def encode_png_base64(image: Image.Image) -> str:
    """An image as base64 PNG for a provider's request (no metadata travels with it)."""
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return base64.b64encode(out.getvalue()).decode("ascii")
