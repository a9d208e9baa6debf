"""Generated test images with known answers, for the background removal and vectorize checks and
their benchmarks (benchmarks/imagetools.py).

Product shots: an object (a bottle, a box, a bowl, a mug-like shape, with labels and shading) on a
plain, gradient, textured or shadowed backdrop, with its exact mask. Drawn 4x larger and reduced,
so edges are anti-aliased like a photo's; a little sensor noise on top.

Logos: flat colours on white (circles, rings, text, shapes), with the colour of every pixel known.
"""

import math
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from templates_app.renderer import available_fonts

BACKDROPS = ("plain", "gradient", "textured", "shadowed")
SUPER = 4


def _colour(rng: random.Random, backdrop_light: bool, grey: bool = True) -> tuple[int, int, int]:
    """A product colour that differs from the backdrop: saturated, or dark on a light backdrop."""
    if grey and rng.random() < 0.3:
        v = rng.randint(25, 70) if backdrop_light else rng.randint(190, 235)
        return (v, v, v + rng.randint(0, 10))
    hue = rng.random()
    r, g, b = (0.5 + 0.5 * math.cos(2 * math.pi * (hue + k / 3)) for k in range(3))
    scale = rng.uniform(150, 230)
    return (round(r * scale), round(g * scale), round(b * scale))


def _object_mask(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """The object's silhouette, drawn SUPER times larger."""
    width, height = size[0] * SUPER, size[1] * SUPER
    mask = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(mask)
    cx, cy = width * rng.uniform(0.42, 0.58), height * rng.uniform(0.45, 0.55)
    w, h = width * rng.uniform(0.22, 0.4), height * rng.uniform(0.4, 0.62)
    kind = rng.choice(("bottle", "box", "bowl", "mug"))
    if kind == "bottle":
        draw.rounded_rectangle((cx - w / 2, cy - h / 2 + h * 0.3, cx + w / 2, cy + h / 2), radius=w * 0.2, fill=255)
        draw.rounded_rectangle((cx - w / 6, cy - h / 2, cx + w / 6, cy - h / 2 + h * 0.35), radius=w * 0.06, fill=255)
    elif kind == "box":
        skew = w * 0.15
        draw.polygon(
            [
                (cx - w / 2, cy - h / 2 + skew),
                (cx + w / 2 - skew, cy - h / 2),
                (cx + w / 2, cy + h / 2 - skew),
                (cx - w / 2 + skew, cy + h / 2),
            ],
            fill=255,
        )
    elif kind == "bowl":
        draw.pieslice((cx - w * 0.8, cy - h * 0.55, cx + w * 0.8, cy + h * 0.45), 0, 180, fill=255)
        draw.ellipse((cx - w * 0.8, cy - h * 0.12, cx + w * 0.8, cy + h * 0.02), fill=255)
    else:
        draw.rounded_rectangle((cx - w / 2, cy - h / 3, cx + w / 3, cy + h / 2), radius=w * 0.08, fill=255)
        t = w * 0.09
        draw.ellipse((cx + w / 6, cy - h / 6, cx + w * 0.7, cy + h / 3), outline=255, width=round(t))
    return mask


def _backdrop(rng: random.Random, kind: str, size: tuple[int, int]) -> np.ndarray:
    width, height = size
    light = rng.random() < 0.75
    base = np.array(
        [rng.randint(200, 250), rng.randint(195, 245), rng.randint(185, 240)] if light else [rng.randint(30, 80)] * 3,
        np.float32,
    )
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    image = np.broadcast_to(base, (height, width, 3)).copy()
    if kind == "gradient":
        other = np.array([rng.randint(120, 250) for _ in range(3)], np.float32)
        t = (xs * rng.uniform(-0.5, 0.5) / width + ys / height)[..., None]
        t = (t - t.min()) / (t.max() - t.min())
        image = base * (1 - t) + other * t
    elif kind == "textured":
        noise = np.asarray(
            Image.effect_noise((width // 4, height // 4), 40).resize(size, Image.Resampling.BICUBIC), np.float32
        )
        grain = 6 * np.sin(xs / rng.uniform(3, 7) + 0.3 * np.sin(ys / 23))
        image = image + ((noise - 128) * 0.25 + grain)[..., None]
    return image


def product_shot(seed: int, kind: str, size: tuple[int, int] = (1600, 1200)) -> tuple[Image.Image, np.ndarray]:
    """A product photo and its true mask (float 0..1, anti-aliased at the edge)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    silhouette = _object_mask(rng, size)
    truth = np.asarray(silhouette.reduce(SUPER), np.float32) / 255.0
    image = _backdrop(rng, kind, size)
    backdrop_light = image.mean() > 128
    if kind == "shadowed":
        bbox = silhouette.getbbox()
        shadow = Image.new("L", silhouette.size, 0)
        drop = rng.uniform(0.02, 0.05) * silhouette.height
        ImageDraw.Draw(shadow).ellipse(
            (bbox[0] - 40 * SUPER, bbox[3] - drop, bbox[2] + 60 * SUPER, bbox[3] + drop * 1.6), fill=255
        )
        soft = np.asarray(shadow.reduce(SUPER).filter(ImageFilter.GaussianBlur(18)), np.float32)[..., None] / 255.0
        image = image * (1 - rng.uniform(0.35, 0.5) * soft)
    # The object: a base colour, shaded left to right, with a label band.
    colour = np.array(_colour(rng, backdrop_light), np.float32)
    height, width = truth.shape
    xs = np.linspace(0, 1, width, dtype=np.float32)[None, :, None]
    shaded = colour * (0.8 + 0.35 * np.sin(np.pi * xs))
    obj = np.broadcast_to(shaded, (height, width, 3)).copy()
    ys = np.nonzero(truth.max(axis=1) > 0)[0]
    if len(ys):
        top, bottom = ys.min(), ys.max()
        band = slice(top + (bottom - top) * 2 // 5, top + (bottom - top) * 3 // 5)
        label = np.array(_colour(rng, backdrop_light, grey=False), np.float32)
        obj[band] = label
    alpha = truth[..., None]
    image = image * (1 - alpha) + np.clip(obj, 0, 255) * alpha
    image = image + np.random.default_rng(seed).normal(0, 2.0, image.shape)
    return Image.fromarray(np.clip(np.rint(image), 0, 255).astype(np.uint8), "RGB"), truth


def product_set(count_per_kind: int, size: tuple[int, int] = (1600, 1200)):
    """(kind, image, truth) for `count_per_kind` shots on each backdrop."""
    for kind in BACKDROPS:
        for index in range(count_per_kind):
            image, truth = product_shot(1000 * BACKDROPS.index(kind) + index, kind, size)
            yield kind, image, truth


def mask_scores(alpha: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """IoU of the cut-out (alpha >= 0.5) with the true mask, and the halo: how far (px) beyond the
    true outline the cut-out keeps visible backdrop (alpha >= 0.25), as its 99.5th percentile."""
    import cv2

    found, real = alpha >= 0.5, truth >= 0.5
    union = np.logical_or(found, real).sum()
    iou = float(np.logical_and(found, real).sum() / union) if union else 1.0
    outside = (alpha >= 0.25) & (truth < 0.02)
    if not outside.any():
        return iou, 0.0
    distance = cv2.distanceTransform((truth < 0.02).astype(np.uint8), cv2.DIST_L2, 5)
    return iou, float(np.quantile(distance[outside], 0.995))


# -- logos ----------------------------------------------------------------------------------------

LOGO_COLOURS = ((226, 60, 45), (30, 80, 160), (20, 20, 24), (240, 170, 20), (40, 150, 90))


def _font(size: int) -> ImageFont.FreeTypeFont:
    faces = available_fonts()["Inter"]
    return ImageFont.truetype(str(faces[700 if 700 in faces else max(faces)]), size)


def logo(seed: int, size: int = 512) -> tuple[Image.Image, list[tuple[int, int, int]], Image.Image]:
    """A flat logo on white, the colours it uses (white first), and the drawing it was reduced from
    (SUPER times larger, every pixel exactly one of the colours: the truth to compare with)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    big = size * SUPER
    image = Image.new("RGB", (big, big), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    colours = rng.sample(LOGO_COLOURS, 2)
    kind = ("circle", "ring", "text", "shapes")[seed % 4]
    c = big / 2
    if kind == "circle":
        draw.ellipse((c - big * 0.38, c - big * 0.38, c + big * 0.38, c + big * 0.38), fill=colours[0])
        draw.ellipse((c - big * 0.16, c - big * 0.3, c + big * 0.2, c + big * 0.06), fill=colours[1])
    elif kind == "ring":
        draw.ellipse((c - big * 0.4, c - big * 0.4, c + big * 0.4, c + big * 0.4), fill=colours[0])
        draw.ellipse((c - big * 0.27, c - big * 0.27, c + big * 0.27, c + big * 0.27), fill=(255, 255, 255))
        draw.regular_polygon((c, c, big * 0.17), 5, rotation=rng.uniform(0, 72), fill=colours[1])
    elif kind == "text":
        draw.rounded_rectangle((big * 0.08, big * 0.3, big * 0.92, big * 0.7), radius=big * 0.08, fill=colours[0])
        word = rng.choice(("ACME", "Bake", "Roma", "Vela"))
        draw.text((c, c), word, font=_font(round(big * 0.22)), fill=colours[1], anchor="mm")
    else:
        draw.regular_polygon((big * 0.34, big * 0.5, big * 0.24), 3, rotation=rng.uniform(0, 30), fill=colours[0])
        draw.rounded_rectangle((big * 0.52, big * 0.3, big * 0.88, big * 0.7), radius=big * 0.06, fill=colours[1])
    return image.reduce(SUPER), [(255, 255, 255), *colours], image


def colour_ious(original: Image.Image, traced: Image.Image, colours: list[tuple[int, int, int]]) -> list[float]:
    """For each colour: IoU of the pixels nearest to it in the original and in the traced raster.

    Compare at the drawing's size (`logo`'s third value, and the SVG rasterised SUPER times
    larger): an anti-aliased edge pixel, grey between black and white, would otherwise count as
    whichever logo colour happens to be nearest."""
    palette = np.asarray(colours, np.float32)

    def labels(image: Image.Image) -> np.ndarray:
        rgb = np.asarray(image.convert("RGB"), np.float32)
        return np.argmin(((rgb[:, :, None, :] - palette[None, None]) ** 2).sum(axis=3), axis=2)

    a, b = labels(original), labels(traced)
    scores = []
    for index in range(len(colours)):
        x, y = a == index, b == index
        union = np.logical_or(x, y).sum()
        scores.append(float(np.logical_and(x, y).sum() / union) if union else 1.0)
    return scores
