"""The built-in image operations: upscale, background removal and vectorisation.

Pure functions on Pillow images (no Django, no database, no network), used when no AI provider is
configured for an operation. Each refuses work it cannot do sanely with `ImageOperationError`, whose
message is safe to show to the user.
"""

import io
import re
import xml.etree.ElementTree as ET

import numpy as np
import vtracer
from PIL import Image, ImageFilter

from generations import cutout, vector_logo

UPSCALE_FACTORS = (2, 4)
# An upscaled image above this many pixels is refused before any work is done: it would take minutes
# to encode and hundreds of megabytes to store and download.
MAX_OUTPUT_PIXELS = 64_000_000
MIN_SEGMENT_SIDE = 16
# Vectorising traces a copy at most this large on its longer side; the SVG keeps the original size.
VECTORIZE_MAX_SIDE = 1024
MAX_SVG_BYTES = 25 * 1024 * 1024

SVG_NAMESPACE = "http://www.w3.org/2000/svg"


class ImageOperationError(ValueError):
    """The operation cannot be done on this image; the message says why in plain words."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def _normalise(image: Image.Image) -> Image.Image:
    """RGB, or RGBA when the image has transparency."""
    wanted = "RGBA" if _has_alpha(image) else "RGB"
    return image if image.mode == wanted else image.convert(wanted)


def upscaled_size(width: int, height: int, factor: int) -> tuple[int, int]:
    return width * factor, height * factor


def check_upscale(width: int, height: int, factor: int) -> None:
    """Refuse a factor we do not offer or a result above the pixel limit, before any work."""
    if factor not in UPSCALE_FACTORS:
        raise ImageOperationError("Upscaling is offered at 2x or 4x.")
    out_width, out_height = upscaled_size(width, height, factor)
    if out_width * out_height > MAX_OUTPUT_PIXELS:
        raise ImageOperationError(
            f"Upscaling {width}×{height} by {factor}x would make {out_width}×{out_height} pixels "
            f"({out_width * out_height / 1e6:.0f} MP); the limit is {MAX_OUTPUT_PIXELS / 1e6:.0f} MP."
        )


def upscale(image: Image.Image, factor: int) -> Image.Image:
    """Enlarge by 2 or 4 with Lanczos resampling, then restore edge contrast with an unsharp mask."""
    check_upscale(image.width, image.height, factor)
    image = _normalise(image)
    # Pillow resamples RGBA premultiplied, so transparent pixels do not bleed colour into the edges.
    enlarged = image.resize(upscaled_size(image.width, image.height, factor), Image.Resampling.LANCZOS)
    # The radius grows with the factor: a 4x enlargement spreads an edge over twice as many pixels.
    sharpen = ImageFilter.UnsharpMask(radius=0.8 * factor, percent=70, threshold=2)
    if enlarged.mode == "RGBA":
        red, green, blue, alpha = enlarged.split()
        sharpened = Image.merge("RGB", (red, green, blue)).filter(sharpen)
        sharpened.putalpha(alpha)
        return sharpened
    return enlarged.filter(sharpen)


def remove_background(image: Image.Image) -> Image.Image:
    """The subject on a transparent background, with a clean anti-aliased edge (see cutout.py for
    the method, what it can and cannot do). Pixels transparent already stay transparent."""
    if min(image.size) < MIN_SEGMENT_SIDE:
        raise ImageOperationError(
            f"The image is too small to find a subject in (at least {MIN_SEGMENT_SIDE} pixels on each side)."
        )
    image = _normalise(image)
    try:
        result = cutout.cut_out(image.convert("RGB"))
    except cutout.NoSubjectFound as exc:
        raise ImageOperationError("No subject stands out from the background in this image.") from exc
    if image.mode == "RGBA":
        alpha = np.minimum(np.asarray(result.getchannel("A")), np.asarray(image.getchannel("A")))
        result.putalpha(Image.fromarray(alpha, mode="L"))
    return result


_SVG_OPEN_TAG = re.compile(r"<svg\b[^>]*>")


def _trace(png: bytes) -> str:
    return vtracer.convert_raw_image_to_svg(
        png,
        img_format="png",
        colormode="color",
        hierarchical="stacked",
        mode="spline",
        filter_speckle=4,
        color_precision=6,
        layer_difference=16,
        corner_threshold=60,
        length_threshold=4.0,
        max_iterations=10,
        splice_threshold=45,
        path_precision=2,
    )


def vectorize(image: Image.Image) -> str:
    """The image traced to colour SVG paths by vtracer.

    A logo-like image (a few flat colours) is traced with the logo preset (vector_logo.py), so a
    circle stays a circle and edges carry no slivers of in-between colours; anything else is
    traced as an illustration. Large images are traced from a
    copy at most VECTORIZE_MAX_SIDE pixels wide (tracing time and SVG size grow with the pixel
    count); the SVG's width and height stay the original's and its viewBox is the traced size, so
    it scales to fit.
    """
    image = _normalise(image).convert("RGBA")
    width, height = image.size
    scale = min(1.0, VECTORIZE_MAX_SIDE / max(width, height))
    traced = image
    if scale < 1.0:
        traced = image.resize((max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.LANCZOS)
    palette = vector_logo.logo_palette(traced)
    if palette is not None:
        body, (view_width, view_height) = vector_logo.trace_logo(traced, palette)
        svg = f"<svg>{body}</svg>"
    else:
        png = io.BytesIO()
        traced.save(png, format="PNG", compress_level=1)
        svg = _trace(png.getvalue())
        view_width, view_height = traced.size
    if len(svg.encode()) > MAX_SVG_BYTES:
        raise ImageOperationError(
            "This image has too much fine detail to vectorize; try a simpler image such as a logo or an illustration."
        )
    opening = (
        f'<svg version="1.1" xmlns="{SVG_NAMESPACE}" width="{width}" height="{height}" '
        f'viewBox="0 0 {view_width} {view_height}">'
    )
    svg, replaced = _SVG_OPEN_TAG.subn(opening, svg, count=1)
    if not replaced:
        raise ImageOperationError("The image could not be vectorized.")
    try:
        ET.fromstring(svg)  # noqa: S314 - our own tracer's output, checked to be well-formed before storing
    except ET.ParseError as exc:
        raise ImageOperationError("The image could not be vectorized.") from exc
    return svg
