"""The built-in image operations: upscale, background removal and vectorisation.

Pure functions on Pillow images (no Django, no database, no network), used when no AI provider is
configured for an operation. Each refuses work it cannot do sanely with `ImageOperationError`, whose
message is safe to show to the user.
"""

import io
import re
import xml.etree.ElementTree as ET

import cv2
import numpy as np
import vtracer
from PIL import Image, ImageFilter

UPSCALE_FACTORS = (2, 4)
# An upscaled image above this many pixels is refused before any work is done: it would take minutes
# to encode and hundreds of megabytes to store and download.
MAX_OUTPUT_PIXELS = 64_000_000
# Background removal segments a copy at most this large on its longer side, then scales the mask up.
SEGMENT_MAX_SIDE = 640
# The border band GrabCut takes as certain background, as a share of each side.
BORDER_MARGIN = 0.04
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


def _segment(rgb: np.ndarray) -> np.ndarray:
    """A 0/1 foreground mask by GrabCut, everything near the border taken as background."""
    height, width = rgb.shape[:2]
    margin_x = max(1, round(width * BORDER_MARGIN))
    margin_y = max(1, round(height * BORDER_MARGIN))
    rect = (margin_x, margin_y, width - 2 * margin_x, height - 2 * margin_y)
    mask = np.zeros((height, width), np.uint8)
    background_model = np.zeros((1, 65), np.float64)
    foreground_model = np.zeros((1, 65), np.float64)
    bgr = np.ascontiguousarray(rgb[:, :, ::-1])
    try:
        cv2.grabCut(bgr, mask, rect, background_model, foreground_model, 5, cv2.GC_INIT_WITH_RECT)
    except cv2.error as exc:
        # GrabCut cannot model a background or foreground with no variation at all (a flat image).
        raise ImageOperationError("No subject stands out from the background in this image.") from exc
    foreground = np.where((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD), 1, 0).astype(np.uint8)
    # Close pinholes and drop specks a few pixels wide.
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    foreground = cv2.morphologyEx(foreground, cv2.MORPH_OPEN, kernel)
    return cv2.morphologyEx(foreground, cv2.MORPH_CLOSE, kernel)


def remove_background(image: Image.Image) -> Image.Image:
    """The subject on a transparent background, with a soft (feathered) edge.

    GrabCut is seeded with a band a few per cent wide along the border as certain background and
    the rest as probable foreground, on a copy at most SEGMENT_MAX_SIDE pixels wide; the mask is
    scaled back up and blurred so the edge fades over a few pixels instead of stair-stepping.
    """
    if min(image.size) < MIN_SEGMENT_SIDE:
        raise ImageOperationError(
            f"The image is too small to find a subject in (at least {MIN_SEGMENT_SIDE} pixels on each side)."
        )
    image = _normalise(image)
    rgb_image = image.convert("RGB")
    scale = min(1.0, SEGMENT_MAX_SIDE / max(image.size))
    work = rgb_image
    if scale < 1.0:
        work = rgb_image.resize(
            (max(MIN_SEGMENT_SIDE, round(image.width * scale)), max(MIN_SEGMENT_SIDE, round(image.height * scale))),
            Image.Resampling.LANCZOS,
        )
    foreground = _segment(np.asarray(work))
    if not foreground.any():
        raise ImageOperationError("No subject stands out from the background in this image.")

    alpha = foreground.astype(np.float32)
    if alpha.shape != (image.height, image.width):
        alpha = cv2.resize(alpha, image.size, interpolation=cv2.INTER_LINEAR)
    # Feather: about 0.4% of the shorter side, at least one pixel.
    sigma = max(1.0, min(image.size) * 0.004)
    alpha = cv2.GaussianBlur(alpha, (0, 0), sigmaX=sigma, sigmaY=sigma)
    alpha8 = np.clip(np.rint(alpha * 255), 0, 255).astype(np.uint8)
    if image.mode == "RGBA":
        # Pixels transparent already stay transparent.
        alpha8 = np.minimum(alpha8, np.asarray(image.getchannel("A")))
    result = rgb_image.convert("RGBA")
    result.putalpha(Image.fromarray(alpha8, mode="L"))
    return result


_SVG_OPEN_TAG = re.compile(r"<svg\b[^>]*>")


def vectorize(image: Image.Image) -> str:
    """The image traced to colour SVG paths by vtracer.

    Large images are traced from a copy at most VECTORIZE_MAX_SIDE pixels wide (tracing time and SVG
    size grow with the pixel count); the SVG's width and height stay the original's and its viewBox
    is the traced size, so it scales to fit.
    """
    image = _normalise(image).convert("RGBA")
    width, height = image.size
    scale = min(1.0, VECTORIZE_MAX_SIDE / max(width, height))
    traced = image
    if scale < 1.0:
        traced = image.resize((max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.LANCZOS)
    png = io.BytesIO()
    traced.save(png, format="PNG", compress_level=1)
    svg = vtracer.convert_raw_image_to_svg(
        png.getvalue(),
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
    if len(svg.encode()) > MAX_SVG_BYTES:
        raise ImageOperationError(
            "This image has too much fine detail to vectorize; try a simpler image such as a logo or an illustration."
        )
    opening = (
        f'<svg version="1.1" xmlns="{SVG_NAMESPACE}" width="{width}" height="{height}" '
        f'viewBox="0 0 {traced.width} {traced.height}">'
    )
    svg, replaced = _SVG_OPEN_TAG.subn(opening, svg, count=1)
    if not replaced:
        raise ImageOperationError("The image could not be vectorized.")
    try:
        ET.fromstring(svg)  # noqa: S314 - our own tracer's output, checked to be well-formed before storing
    except ET.ParseError as exc:
        raise ImageOperationError("The image could not be vectorized.") from exc
    return svg
