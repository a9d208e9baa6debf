"""The logo preset of vectorize: a few flat colours, fitted curves, no specks.

A logo-like image (its colours gather in at most MAX_COLOURS clusters) is traced colour by colour:

1. its colours are found by k-means (the smallest k whose colours hold COVERAGE of the pixels;
   anti-aliased edge pixels are the rest);
2. small images are enlarged 2x (bicubic) first, so the edge between two colours, read from the
   anti-aliased pixels, lands on half-pixel positions instead of whole ones;
3. every pixel takes its nearest colour; a 3x3 majority pass removes one-pixel specks;
4. the colours are stacked from the largest area (drawn first, as a rectangle when it fills the
   image) to the smallest, each traced as one binary layer by vtracer (spline curves, corners where
   the outline really turns, specks dropped) that also covers the area of the layers above it, so
   no seam of background shows where two colours meet.
"""

import io
import re

import cv2
import numpy as np
import vtracer
from PIL import Image, ImageFilter

MAX_COLOURS = 8
COVERAGE = 0.97  # share of pixels within CLUSTER_DISTANCE of a cluster's colour
CLUSTER_DISTANCE = 40.0
ENLARGE_BELOW = 768
BLUR = 1.0  # px at the enlarged size  # images with a longer side up to this are traced at twice their size
_PATH = re.compile(r"<path\b[^>]*/>")
_FILL = re.compile(r'fill="[^"]*"')


def logo_palette(rgba: Image.Image) -> np.ndarray | None:
    """The few flat colours (RGBA rows) of a logo-like image, or None for a photo-like one."""
    sample = rgba.copy()
    sample.thumbnail((160, 160), Image.Resampling.NEAREST)
    pixels = np.asarray(sample, np.float32).reshape(-1, 4)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5)
    for k in range(2, MAX_COLOURS + 1):
        if len(pixels) < k:
            return None
        cv2.setRNGSeed(k)
        _, labels, centres = cv2.kmeans(pixels, k, None, criteria, 2, cv2.KMEANS_PP_CENTERS)
        distance = np.linalg.norm(pixels - centres[labels.ravel()], axis=1)
        if (distance <= CLUSTER_DISTANCE).mean() >= COVERAGE:
            return np.rint(centres)
    return None


def _labels(rgba: Image.Image, palette: np.ndarray) -> np.ndarray:
    pixels = np.asarray(rgba, np.float32)
    best = np.full(pixels.shape[:2], np.inf, np.float32)
    labels = np.zeros(pixels.shape[:2], np.uint8)
    for index, colour in enumerate(palette):
        distance = ((pixels - colour) ** 2).sum(axis=2)
        closer = distance < best
        best[closer], labels[closer] = distance[closer], index
    return cv2.medianBlur(labels, 3)


def _hex(colour: np.ndarray) -> tuple[str, str]:
    r, g, b, a = (int(v) for v in colour)
    opacity = "" if a >= 250 else f' fill-opacity="{a / 255:.3f}"'
    return f"#{r:02x}{g:02x}{b:02x}", opacity


def _trace_layer(mask: np.ndarray, enlarge: int) -> list[str]:
    image = Image.fromarray(np.where(mask, 0, 255).astype(np.uint8), "L").convert("RGB")
    png = io.BytesIO()
    image.save(png, format="PNG", compress_level=1)
    svg = vtracer.convert_raw_image_to_svg(
        png.getvalue(),
        img_format="png",
        colormode="binary",
        mode="spline",
        filter_speckle=4 * enlarge * enlarge,
        corner_threshold=35,
        length_threshold=6.0,
        max_iterations=10,
        splice_threshold=30,
        path_precision=2,
    )
    return _PATH.findall(svg)


def _styled(path: str, fill: str, opacity: str, enlarge: int) -> str:
    """A traced path in its colour, drawn back at the image's own size when traced enlarged."""
    path = _FILL.sub(f'fill="{fill}"{opacity}', path, count=1)
    if enlarge == 1:
        return path
    scale = f"scale({1 / enlarge:g})"
    if 'transform="' in path:
        return path.replace('transform="', f'transform="{scale} ', 1)
    return path.replace("<path ", f'<path transform="{scale}" ', 1)


def trace_logo(rgba: Image.Image, palette: np.ndarray) -> tuple[str, tuple[int, int]]:
    """The SVG body (no <svg> element) of the logo in `palette`'s colours, in the image's own pixels
    (its viewBox size, returned too)."""
    enlarge = 2 if max(rgba.size) <= ENLARGE_BELOW else 1
    if enlarge > 1:
        rgba = rgba.resize((rgba.width * enlarge, rgba.height * enlarge), Image.Resampling.BICUBIC)
        # A hard-edged (not anti-aliased) source would keep its staircase at twice the size, read
        # as corners by the tracer; a slight blur turns the steps into the slopes they stand for.
        rgba = rgba.filter(ImageFilter.GaussianBlur(BLUR))
    labels = _labels(rgba, palette)
    transparent = palette[:, 3] < 128
    order = np.argsort(-np.bincount(labels.ravel(), minlength=len(palette)), kind="stable")
    order = [int(i) for i in order if (labels == i).any()]
    parts: list[str] = []
    covered = np.zeros(labels.shape, bool)  # the union of this layer and every smaller one
    layers = []
    for index in reversed(order):
        covered |= labels == index
        layers.append((index, covered.copy()))
    opaque = ~np.isin(labels, np.flatnonzero(transparent))
    for position, (index, mask) in enumerate(reversed(layers)):
        if transparent[index]:
            continue
        fill, opacity = _hex(palette[index])
        mask = mask & opaque
        if position == 0 and mask.all():
            width, height = labels.shape[1] // enlarge, labels.shape[0] // enlarge
            parts.append(f'<rect width="{width}" height="{height}" fill="{fill}"{opacity}/>')
            continue
        parts.extend(_styled(path, fill, opacity, enlarge) for path in _trace_layer(mask, enlarge))
    return "".join(parts), (labels.shape[1] // enlarge, labels.shape[0] // enlarge)
