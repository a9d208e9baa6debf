"""The built-in offline provider: an original abstract background drawn in code from the brand's
colours and a seed. No network, no model, always available.

The same size, seed and colours always give the same pixels; another seed gives another layout (a
different style, angle, shapes and placement). Four styles (soft aurora blobs, layered waves,
orbits with a dot grid, crossing ribbons) each sit on a two-colour gradient in a bold scheme (the
brand's primary colour) or a light one (the brand's background tints). Shapes are drawn as
anti-aliased masks and composited with Pillow's C routines, so a 1080x1920 background takes a few
tens of milliseconds.
"""

import math
import random
from collections.abc import Callable
from typing import ClassVar

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from generations.models import ProviderKind, ProviderOperation
from generations.providers.base import Provider, ProviderImage
from templates_app.renderer import DEFAULT_BRAND_COLORS
from templates_app.renderer.paint import parse_hex

MODEL = "abstract-v1"  # changes when a change to the drawing would change existing seeds' pixels
STYLES = ("aurora", "waves", "orbits", "ribbons")

RGB = tuple[int, int, int]


def _rgb(value: str) -> RGB:
    r, g, b, _ = parse_hex(value)
    return (r, g, b)


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def _luminance(colour: RGB) -> float:
    r, g, b = (c / 255 for c in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _scaled(mask: Image.Image, alpha: float) -> Image.Image:
    return mask.point([round(i * alpha) for i in range(256)])


class _Canvas:
    """The image being drawn, and anti-aliased masks drawn at twice the size and reduced to its size."""

    SUPERSAMPLE = 2

    def __init__(self, width: int, height: int, base: Image.Image) -> None:
        self.width, self.height = width, height
        self.short = min(width, height)
        self.image = base

    def mask(self, draw: Callable[[ImageDraw.ImageDraw, float], None]) -> Image.Image:
        k = self.SUPERSAMPLE
        big = Image.new("L", (self.width * k, self.height * k), 0)
        draw(ImageDraw.Draw(big), k)
        return big.resize((self.width, self.height), Image.Resampling.BOX)

    def soft_mask(self, draw: Callable[[ImageDraw.ImageDraw, float], None], blur: float) -> Image.Image:
        """A blurred mask, drawn and blurred at 1/8 size (it is soft anyway) and scaled up."""
        scale = 8
        small_size = (max(2, math.ceil(self.width / scale)), max(2, math.ceil(self.height / scale)))
        small = Image.new("L", small_size, 0)
        draw(ImageDraw.Draw(small), 1 / scale)
        small = small.filter(ImageFilter.GaussianBlur(max(1.0, blur / scale)))
        return small.resize((self.width, self.height), Image.Resampling.BICUBIC)

    def fill(self, colour: RGB, mask: Image.Image, alpha: float = 1.0) -> None:
        if alpha < 1.0:
            mask = _scaled(mask, alpha)
        self.image.paste(colour, (0, 0, self.width, self.height), mask)


def _gradient(width: int, height: int, start: RGB, end: RGB, angle: float) -> Image.Image:
    """A linear gradient at `angle` degrees, eased so neither end looks flat."""
    theta = math.radians(angle)
    xs = (np.arange(width, dtype=np.float32) - width / 2) * math.cos(theta)
    ys = (np.arange(height, dtype=np.float32) - height / 2) * math.sin(theta)
    t = xs[None, :] + ys[:, None]
    t -= t.min()
    span = float(t.max()) or 1.0
    t /= span
    t = t * t * (3 - 2 * t)  # smoothstep
    a = np.array(start, dtype=np.float32)
    b = np.array(end, dtype=np.float32)
    pixels = a + (b - a) * t[:, :, None]
    return Image.fromarray(np.clip(np.rint(pixels), 0, 255).astype(np.uint8), "RGB")


def _aurora(canvas: _Canvas, rng: random.Random, colours: list[RGB]) -> None:
    w, h, s = canvas.width, canvas.height, canvas.short
    for index in range(rng.randint(4, 6)):
        colour = colours[index % len(colours)]
        cx, cy = rng.uniform(-0.1, 1.1) * w, rng.uniform(-0.1, 1.1) * h
        rx, ry = rng.uniform(0.25, 0.55) * s, rng.uniform(0.2, 0.5) * s

        def blob(draw: ImageDraw.ImageDraw, k: float, cx=cx, cy=cy, rx=rx, ry=ry) -> None:
            draw.ellipse(((cx - rx) * k, (cy - ry) * k, (cx + rx) * k, (cy + ry) * k), fill=255)

        canvas.fill(colour, canvas.soft_mask(blob, blur=0.18 * s), alpha=rng.uniform(0.55, 0.85))


def _waves(canvas: _Canvas, rng: random.Random, colours: list[RGB]) -> None:
    w, h = canvas.width, canvas.height
    bands = rng.randint(3, 5)
    from_top = rng.random() < 0.35
    start = rng.uniform(0.35, 0.55)
    frequency = rng.uniform(0.6, 1.4)
    for index in range(bands):
        level = start + (1 - start) * index / bands
        amplitude = rng.uniform(0.03, 0.08) * h
        phase = rng.uniform(0, 2 * math.pi)
        wobble = rng.uniform(1.5, 3.0)
        points = []
        for step in range(121):
            x = w * step / 120
            y = level * h + amplitude * (
                math.sin(2 * math.pi * frequency * step / 120 + phase)
                + 0.35 * math.sin(2 * math.pi * wobble * step / 120 + phase * 1.7)
            )
            points.append((x, h - y if from_top else y))
        edge = -h if from_top else 2 * h

        def band(draw: ImageDraw.ImageDraw, k: float, points=points, edge=edge) -> None:
            outline = [(x * k, y * k) for x, y in points]
            draw.polygon([*outline, (w * k, edge * k), (0, edge * k)], fill=255)

        colour = colours[index % len(colours)]
        canvas.fill(colour, canvas.mask(band), alpha=0.45 + 0.4 * index / bands)


def _orbits(canvas: _Canvas, rng: random.Random, colours: list[RGB]) -> None:
    w, h, s = canvas.width, canvas.height, canvas.short
    corners = [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)]
    rng.shuffle(corners)
    for index, (fx, fy) in enumerate(corners[:2]):
        cx, cy = fx * w + rng.uniform(-0.1, 0.1) * w, fy * h + rng.uniform(-0.1, 0.1) * h
        radius = rng.uniform(0.35, 0.6) * s
        colour = colours[index % len(colours)]

        def disc(draw: ImageDraw.ImageDraw, k: float, cx=cx, cy=cy, r=radius) -> None:
            draw.ellipse(((cx - r) * k, (cy - r) * k, (cx + r) * k, (cy + r) * k), fill=255)

        canvas.fill(colour, canvas.mask(disc), alpha=rng.uniform(0.5, 0.75))
        for ring in range(rng.randint(1, 3)):
            r = radius * (1.18 + 0.16 * ring)
            stroke = max(1.0, 0.008 * s)

            def circle(draw: ImageDraw.ImageDraw, k: float, cx=cx, cy=cy, r=r, stroke=stroke) -> None:
                draw.ellipse(
                    ((cx - r) * k, (cy - r) * k, (cx + r) * k, (cy + r) * k), outline=255, width=round(stroke * k)
                )

            canvas.fill(colours[(index + 1) % len(colours)], canvas.mask(circle), alpha=0.5 - 0.12 * ring)
    # A dot grid in one of the free corners.
    fx, fy = corners[2]
    spacing = 0.045 * s
    dot = 0.008 * s
    count = rng.randint(5, 8)
    x0 = spacing if fx == 0 else w - spacing * count
    y0 = spacing if fy == 0 else h - spacing * count

    def dots(draw: ImageDraw.ImageDraw, k: float) -> None:
        for i in range(count):
            for j in range(count):
                x, y = x0 + i * spacing, y0 + j * spacing
                draw.ellipse(((x - dot) * k, (y - dot) * k, (x + dot) * k, (y + dot) * k), fill=255)

    canvas.fill(colours[-1], canvas.mask(dots), alpha=0.55)


def _ribbons(canvas: _Canvas, rng: random.Random, colours: list[RGB]) -> None:
    w, h = canvas.width, canvas.height
    diagonal = math.hypot(w, h)
    angle = math.radians(rng.uniform(20, 55) * rng.choice((-1, 1)))
    ux, uy = math.cos(angle), math.sin(angle)  # along the ribbon
    nx, ny = -uy, ux  # across it
    offset = rng.uniform(-0.25, 0.05) * diagonal
    for index in range(rng.randint(3, 4)):
        width = rng.uniform(0.06, 0.2) * diagonal
        centre = (w / 2 + nx * offset, h / 2 + ny * offset)
        offset += width + rng.uniform(0.02, 0.12) * diagonal
        half = width / 2
        corners = [
            (centre[0] + ux * a + nx * b, centre[1] + uy * a + ny * b)
            for a, b in ((-diagonal, -half), (diagonal, -half), (diagonal, half), (-diagonal, half))
        ]

        def ribbon(draw: ImageDraw.ImageDraw, k: float, corners=corners) -> None:
            draw.polygon([(x * k, y * k) for x, y in corners], fill=255)

        mask = canvas.mask(ribbon)
        shadow = mask.filter(ImageFilter.GaussianBlur(max(1.0, 0.02 * canvas.short)))
        canvas.fill((0, 0, 0), shadow, alpha=0.12)
        canvas.fill(colours[index % len(colours)], mask, alpha=rng.uniform(0.55, 0.8))


PAINTERS = {"aurora": _aurora, "waves": _waves, "orbits": _orbits, "ribbons": _ribbons}


def draw_background(size: tuple[int, int], seed: int, brand_colors: dict[str, str]) -> Image.Image:
    """An RGB background of `size` for this seed and these brand colours (hex, keys as in the brand kit)."""
    width, height = size
    colours = {**DEFAULT_BRAND_COLORS, **{k: v for k, v in brand_colors.items() if v}}
    primary, secondary = _rgb(colours["primary"]), _rgb(colours["secondary"])
    accent, background = _rgb(colours["accent"]), _rgb(colours["background"])
    # Layout only, never security: a seeded generator is what makes the picture reproducible.
    rng = random.Random(seed)  # noqa: S311
    style = STYLES[rng.randrange(len(STYLES))]
    bold = rng.random() < 0.5
    if bold:
        deep = _mix(primary, (0, 0, 0), 0.35)
        start, end = (primary, deep) if rng.random() < 0.5 else (deep, primary)
        # Tints, never a mix of two hues: halfway between purple and amber is brown.
        decor = [accent, _mix(primary, (255, 255, 255), 0.3), _mix(accent, (255, 255, 255), 0.4), secondary]
    else:
        light = background if _luminance(background) > 0.6 else (250, 250, 250)
        start, end = _mix(light, primary, 0.06), _mix(light, accent, 0.12)
        decor = [_mix(primary, light, 0.2), _mix(accent, light, 0.15), primary, _mix(accent, (255, 255, 255), 0.35)]
    rng.shuffle(decor)
    base = _gradient(width, height, start, end, rng.uniform(0, 360))
    canvas = _Canvas(width, height, base)
    PAINTERS[style](canvas, rng, decor)
    return canvas.image


class BuiltinProvider(Provider):
    key = ProviderKind.BUILTIN.value
    label = "The built-in renderer"
    remote = False
    operations: ClassVar[frozenset[str]] = frozenset({ProviderOperation.IMAGE})

    def default_model(self, operation: str) -> str:
        return MODEL if operation == ProviderOperation.IMAGE else ""

    def describe_settings(self) -> str:
        return "Always available (no settings needed)"

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
        # The prompt is for remote models; an abstract background is drawn from colours and seed alone.
        return ProviderImage(image=draw_background(size, seed, brand_colors))
