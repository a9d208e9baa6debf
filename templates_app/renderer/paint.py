"""Colours, gradients and anti-aliased shape masks, and compositing them onto the canvas.

Everything is drawn with Pillow's C routines (no per-pixel Python): a fill is a solid colour or a
gradient image pasted through an 8-bit mask. Masks and gradients depend only on their parameters,
so they are cached: a template rendered again (another format, a preview, the next user) reuses them.
The caches are bounded (a few dozen entries, at most ~150 MB at full-canvas sizes).
"""

import itertools
import math
from collections.abc import Mapping
from functools import lru_cache

from PIL import Image, ImageChops, ImageDraw

RGBA = tuple[int, int, int, int]

# Supersampling for anti-aliased curves: masks are drawn this many times larger and reduced,
# capped so the supersampled mask stays under ~2400 px a side.
MAX_SUPERSAMPLE = 4
SUPERSAMPLE_SIDE = 2400


def parse_hex(value: str) -> RGBA:
    value = value.lstrip("#")
    if len(value) not in (6, 8):
        raise ValueError(f"not a colour: #{value}")
    r, g, b = int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)
    a = int(value[6:8], 16) if len(value) == 8 else 255
    return (r, g, b, a)


class Palette:
    """Resolves colour values of a spec (hex, brand.x, slot.x) to RGBA for one render."""

    def __init__(self, brand: Mapping[str, str], slots: Mapping[str, str]) -> None:
        self.brand = {key: parse_hex(value) for key, value in brand.items()}
        self.slots = dict(slots)

    def resolve(self, value: str) -> RGBA:
        if value.startswith("#"):
            return parse_hex(value)
        if value.startswith("brand."):
            return self.brand[value[6:]]
        if value.startswith("slot."):
            return self.resolve(self.slots[value[5:]])
        raise ValueError(f"not a colour: {value}")

    def fill_key(self, fill) -> tuple:
        """A hashable, resolved description of a colour or gradient fill."""
        if isinstance(fill, str):
            return ("solid", self.resolve(fill))
        stops = tuple((float(offset), self.resolve(colour)) for offset, colour in fill["stops"])
        if fill["gradient"] == "linear":
            return ("linear", float(fill["angle"]), stops)
        cx, cy = fill["center"]
        return ("radial", (float(cx), float(cy)), float(fill["radius"]), stops)


# -- gradients ----------------------------------------------------------------------------------


def _to_linear(c: float) -> float:
    c /= 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _to_srgb8(c: float) -> int:
    c = min(max(c, 0.0), 1.0)
    c = c * 12.92 if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055
    return round(c * 255)


def _oklab(colour: RGBA) -> tuple[float, float, float]:
    r, g, b = (_to_linear(c) for c in colour[:3])
    l = (0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b) ** (1 / 3)  # noqa: E741
    m = (0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b) ** (1 / 3)
    s = (0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b) ** (1 / 3)
    return (
        0.2104542553 * l + 0.7936177850 * m - 0.0040720468 * s,
        1.9779984951 * l - 2.4285922050 * m + 0.4505937099 * s,
        0.0259040371 * l + 0.7827717662 * m - 0.8086757660 * s,
    )


def _from_oklab(lab: tuple[float, float, float]) -> tuple[int, int, int]:
    L, a, b = lab
    l = (L + 0.3963377774 * a + 0.2158037573 * b) ** 3  # noqa: E741
    m = (L - 0.1055613458 * a - 0.0638541728 * b) ** 3
    s = (L - 0.0894841775 * a - 1.2914855480 * b) ** 3
    return (
        _to_srgb8(4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s),
        _to_srgb8(-1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s),
        _to_srgb8(-0.0041960863 * l - 0.7034186147 * m + 1.7076147010 * s),
    )


def _stop_luts(stops: tuple[tuple[float, RGBA], ...], levels: int) -> list[list[int]]:
    """Four 256-entry tables mapping gradient position index (0..levels-1, clamped) to R, G, B, A.

    Colours are mixed in Oklab, which keeps the middle of a blue-to-orange gradient bright
    instead of the muddy grey a mix of sRGB values gives.
    """
    labs = [(offset, _oklab(colour), colour[3]) for offset, colour in stops]
    tables: list[list[int]] = [[], [], [], []]
    for index in range(256):
        t = min(index, levels - 1) / (levels - 1)
        if t <= labs[0][0]:
            lab, alpha = labs[0][1], labs[0][2]
        elif t >= labs[-1][0]:
            lab, alpha = labs[-1][1], labs[-1][2]
        else:
            lab, alpha = labs[-1][1], labs[-1][2]
            for (o0, lab0, a0), (o1, lab1, a1) in itertools.pairwise(labs):
                if o0 <= t <= o1:
                    f = 0.0 if o1 == o0 else (t - o0) / (o1 - o0)
                    lab = tuple(p + (q - p) * f for p, q in zip(lab0, lab1, strict=True))
                    alpha = round(a0 + (a1 - a0) * f)
                    break
        colour = (*_from_oklab(lab), alpha)
        for channel in range(4):
            tables[channel].append(colour[channel])
    return tables


@lru_cache(maxsize=1)
def _linear_ramp() -> Image.Image:
    """A 4 x 260 ramp: 2 rows of 0, the 256 levels, 2 rows of 255 (so corners clamp, not wrap)."""
    ramp = Image.new("L", (4, 260), 255)
    ramp.paste(0, (0, 0, 4, 2))
    ramp.paste(Image.linear_gradient("L").crop((0, 0, 4, 256)), (0, 2))
    return ramp


@lru_cache(maxsize=12)
def gradient_image(key: tuple, width: int, height: int) -> tuple[Image.Image, Image.Image | None]:
    """The gradient `key` (from Palette.fill_key) over width x height: RGB, and its alpha if not opaque."""
    if key[0] == "linear":
        _, angle, stops = key
        theta = math.radians(angle)
        sin, cos = math.sin(theta), math.cos(theta)
        # CSS: 0deg points up, 90deg right; the line is long enough to reach the corners.
        length = abs(width * sin) + abs(height * cos) or 1.0
        d, e = 256 * sin / length, -256 * cos / length
        f = 256 * 0.5 - d * width / 2 - e * height / 2 + 2
        positions = _linear_ramp().transform(
            (width, height), Image.Transform.AFFINE, (0, 0, 2, d, e, f), resample=Image.Resampling.BILINEAR
        )
        levels = 256
    else:
        _, (cx, cy), radius, stops = key
        px, py = cx * width, cy * height
        farthest = max(math.hypot(px - x, py - y) for x in (0, width) for y in (0, height)) or 1.0
        # Pillow's radial gradient holds distance * sqrt(2): 181 levels fit inside its 256 x 256.
        k = 128 / (farthest * radius)
        positions = Image.radial_gradient("L").transform(
            (width, height),
            Image.Transform.AFFINE,
            (k, 0, 128 - k * px, 0, k, 128 - k * py),
            resample=Image.Resampling.BILINEAR,
            fillcolor=255,
        )
        levels = 182
    r, g, b, a = _stop_luts(stops, levels)
    rgb = Image.merge("RGB", [positions.point(r), positions.point(g), positions.point(b)])
    opaque = all(colour[3] == 255 for _, colour in stops)
    return rgb, None if opaque else positions.point(a)


# -- masks --------------------------------------------------------------------------------------


def _supersample(width: int, height: int) -> int:
    return max(1, min(MAX_SUPERSAMPLE, SUPERSAMPLE_SIDE // max(width, height, 1)))


@lru_cache(maxsize=128)
def _corner(radius: int) -> Image.Image:
    """The top-left quarter of an anti-aliased disc of `radius`: 255 inside, 0 outside."""
    k = MAX_SUPERSAMPLE
    big = Image.new("L", (radius * k, radius * k), 0)
    ImageDraw.Draw(big).ellipse((0, 0, 2 * radius * k - 1, 2 * radius * k - 1), fill=255)
    return big.reduce(k)


def _rounded(width: int, height: int, radius: float) -> Image.Image:
    mask = Image.new("L", (width, height), 255)
    r = round(min(radius, width / 2, height / 2))
    if r <= 0:
        return mask
    corner = _corner(r)
    mask.paste(corner, (0, 0))
    mask.paste(corner.transpose(Image.Transpose.FLIP_LEFT_RIGHT), (width - r, 0))
    mask.paste(corner.transpose(Image.Transpose.FLIP_TOP_BOTTOM), (0, height - r))
    mask.paste(corner.transpose(Image.Transpose.ROTATE_180), (width - r, height - r))
    return mask


def _oval(width: int, height: int, circle: bool) -> Image.Image:
    k = _supersample(width, height)
    big = Image.new("L", (width * k, height * k), 0)
    if circle:
        d = min(width, height) * k
        x0, y0 = (width * k - d) / 2, (height * k - d) / 2
        ImageDraw.Draw(big).ellipse((x0, y0, x0 + d - 1, y0 + d - 1), fill=255)
    else:
        ImageDraw.Draw(big).ellipse((0, 0, width * k - 1, height * k - 1), fill=255)
    return big.reduce(k) if k > 1 else big


def _inset(shape: str, width: int, height: int, radius: float, inset: float) -> Image.Image:
    """The shape shrunk by `inset` on every side, on the full-size canvas (for strokes)."""
    mask = Image.new("L", (width, height), 0)
    w, h = round(width - 2 * inset), round(height - 2 * inset)
    if w <= 0 or h <= 0:
        return mask
    offset = (round(inset), round(inset))
    if shape == "circle":
        d = min(width, height)
        w = h = round(d - 2 * inset)
        if w <= 0:
            return mask
        offset = (round((width - w) / 2), round((height - h) / 2))
        mask.paste(_oval(w, h, True), offset)
    else:
        mask.paste(shape_mask(shape, w, h, max(0.0, radius - inset)), offset)
    return mask


@lru_cache(maxsize=32)
def shape_mask(shape: str, width: int, height: int, radius: float = 0.0) -> Image.Image:
    """An anti-aliased 8-bit mask of a filled shape over its box. Callers must not modify it."""
    if shape == "rect":
        return Image.new("L", (width, height), 255)
    if shape == "rounded_rect":
        return _rounded(width, height, radius)
    if shape == "circle":
        return _oval(width, height, True)
    if shape == "ellipse":
        return _oval(width, height, False)
    raise ValueError(f"unknown shape {shape}")


@lru_cache(maxsize=16)
def stroke_mask(shape: str, width: int, height: int, radius: float, stroke: float) -> Image.Image:
    """The band of `stroke` px just inside the shape's edge."""
    return ImageChops.subtract(shape_mask(shape, width, height, radius), _inset(shape, width, height, radius, stroke))


def scale_mask(mask: Image.Image, factor: float) -> Image.Image:
    """The mask with every value multiplied by `factor` (opacity, a colour's alpha)."""
    if factor >= 1:
        return mask
    return mask.point([round(i * factor) for i in range(256)])


def paint(
    canvas: Image.Image,
    key: tuple,
    size: tuple[int, int],
    mask: Image.Image | None,
    at: tuple[int, int],
    opacity: float = 1.0,
) -> None:
    """Paste the fill `key` of `size` through `mask` (None: the whole box) at `at` onto the RGB canvas."""
    if opacity <= 0:
        return
    if key[0] == "solid":
        r, g, b, a = key[1]
        factor = opacity * a / 255
        if factor <= 0:
            return
        if mask is None and factor >= 1:
            canvas.paste((r, g, b), (at[0], at[1], at[0] + size[0], at[1] + size[1]))
            return
        if mask is None:
            mask = Image.new("L", size, 255)
        canvas.paste((r, g, b), at, scale_mask(mask, factor))
        return
    rgb, alpha = gradient_image(key, size[0], size[1])
    if alpha is not None:
        mask = alpha if mask is None else ImageChops.multiply(mask, alpha)
    if mask is None and opacity >= 1:
        canvas.paste(rgb, at)
        return
    if mask is None:
        mask = Image.new("L", size, 255)
    canvas.paste(rgb, at, scale_mask(mask, opacity))
