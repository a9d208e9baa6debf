"""Decorative patterns drawn in code: dots, stripes, grid, waves, zigzag, confetti, halftone.

Each pattern is laid out in its own coordinate system centred on the box and turned by `angle`
degrees (clockwise), then clipped to the box (dots are drawn whole or not at all). Rows (or stripes, or lines) cycle through the
layer's colours; confetti picks a colour per piece. Shapes are drawn supersampled and reduced, so
edges are anti-aliased. The result depends only on the parameters (confetti on its `seed`), so it
is cached.
"""

import math
import random
from functools import lru_cache

from PIL import Image, ImageDraw

from .paint import _supersample

Point = tuple[float, float]


class _Frame:
    """Maps pattern coordinates (u, v), centred on the box and turned by the angle, to mask pixels."""

    def __init__(self, width: int, height: int, angle: float, k: int) -> None:
        self.k = k
        self.cx, self.cy = width * k / 2, height * k / 2
        theta = math.radians(angle)
        self.cos, self.sin = math.cos(theta), math.sin(theta)
        self.reach = math.hypot(width, height) / 2  # pattern units (unscaled) that cover the box
        self.width, self.height = width * k, height * k

    def point(self, u: float, v: float) -> Point:
        u, v = u * self.k, v * self.k
        return (self.cx + u * self.cos - v * self.sin, self.cy + u * self.sin + v * self.cos)

    def visible(self, x: float, y: float, margin: float) -> bool:
        return -margin <= x <= self.width + margin and -margin <= y <= self.height + margin

    def steps(self, spacing: float, extra: float = 0.0) -> range:
        n = math.ceil((self.reach + extra) / spacing) + 1
        return range(-n, n + 1)


def _band(frame: _Frame, u: float, half: float, vertical: bool) -> list[Point]:
    """A band of width 2*half along the v axis at u (or along u at v=u when not vertical)."""
    r = frame.reach + half
    if vertical:
        corners = [(u - half, -r), (u + half, -r), (u + half, r), (u - half, r)]
    else:
        corners = [(-r, u - half), (r, u - half), (r, u + half), (-r, u + half)]
    return [frame.point(a, b) for a, b in corners]


def _dots(draws, frame: _Frame, spacing: float, size: float, halftone: bool) -> None:
    n = len(draws)
    steps = frame.steps(spacing)
    span = 2 * frame.reach or 1.0
    for row_index, j in enumerate(steps):
        draw = draws[row_index % n]
        shift = spacing / 2 if halftone and j % 2 else 0.0
        for i in steps:
            u, v = i * spacing + shift, j * spacing
            diameter = size
            if halftone:
                # The dots grow along the pattern's u axis, like a halftone fade.
                t = min(1.0, max(0.0, (u + frame.reach) / span))
                diameter = size * (0.12 + 0.88 * t)
            x, y = frame.point(u, v)
            r = diameter * frame.k / 2
            if r <= 0 or not frame.visible(x, y, -r):
                continue  # whole dots only: a dot cut by the box edge looks like a mistake
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)


def _stripes(draws, frame: _Frame, spacing: float, size: float) -> None:
    n = len(draws)
    for index, i in enumerate(frame.steps(spacing)):
        draws[index % n].polygon(_band(frame, i * spacing, size / 2, True), fill=255)


def _grid(draws, frame: _Frame, spacing: float, size: float) -> None:
    n = len(draws)
    for index, i in enumerate(frame.steps(spacing)):
        draws[index % n].polygon(_band(frame, i * spacing, size / 2, True), fill=255)
        draws[index % n].polygon(_band(frame, i * spacing, size / 2, False), fill=255)


def _lines(draws, frame: _Frame, spacing: float, size: float, kind: str) -> None:
    """Waves (sine) or zigzags, one line every `spacing`, `size` thick."""
    n = len(draws)
    amplitude = spacing * 0.3
    wavelength = spacing * 2
    r = frame.reach + wavelength
    width = max(1, round(size * frame.k))
    for index, j in enumerate(frame.steps(spacing, amplitude)):
        v0 = j * spacing
        if kind == "waves":
            step = wavelength / 24
            count = int(2 * r / step) + 1
            points = [
                (-r + s * step, v0 + amplitude * math.sin(2 * math.pi * (-r + s * step) / wavelength))
                for s in range(count)
            ]
        else:
            step = wavelength / 2
            count = int(2 * r / step) + 1
            points = [(-r + s * step, v0 + (amplitude if s % 2 else -amplitude)) for s in range(count)]
        draws[index % n].line([frame.point(u, v) for u, v in points], fill=255, width=width, joint="curve")


def _confetti(draws, frame: _Frame, width: int, height: int, spacing: float, size: float, seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - decorative scatter, reproducible on purpose
    count = max(1, round(width * height / (spacing * spacing)))
    k = frame.k
    for _ in range(count):
        x, y = rng.uniform(0, width) * k, rng.uniform(0, height) * k
        piece = rng.choice(("rect", "rect", "circle", "triangle"))
        s = size * rng.uniform(0.6, 1.4) * k
        turn = rng.uniform(0, math.pi)
        draw = draws[rng.randrange(len(draws))]
        if piece == "circle":
            draw.ellipse((x - s / 2, y - s / 2, x + s / 2, y + s / 2), fill=255)
            continue
        if piece == "rect":
            corners = [(-s / 2, -s / 5), (s / 2, -s / 5), (s / 2, s / 5), (-s / 2, s / 5)]
        else:
            corners = [(0, -s / 2), (s / 2, s / 2.5), (-s / 2, s / 2.5)]
        cos, sin = math.cos(turn), math.sin(turn)
        draw.polygon([(x + a * cos - b * sin, y + a * sin + b * cos) for a, b in corners], fill=255)


@lru_cache(maxsize=16)
def pattern_masks(
    kind: str, width: int, height: int, spacing: float, size: float, angle: float, seed: int, colours: int
) -> tuple[Image.Image, ...]:
    """One 8-bit mask over the box for each of the layer's colours. Callers must not modify them."""
    k = min(3, _supersample(width, height))
    frame = _Frame(width, height, angle, k)
    masks = [Image.new("L", (width * k, height * k), 0) for _ in range(colours)]
    draws = [ImageDraw.Draw(mask) for mask in masks]
    if kind in ("dots", "halftone"):
        _dots(draws, frame, spacing, size, kind == "halftone")
    elif kind == "stripes":
        _stripes(draws, frame, spacing, size)
    elif kind == "grid":
        _grid(draws, frame, spacing, size)
    elif kind in ("waves", "zigzag"):
        _lines(draws, frame, spacing, size, kind)
    elif kind == "confetti":
        _confetti(draws, frame, width, height, spacing, size, seed)
    else:
        raise ValueError(f"unknown pattern {kind}")
    return tuple(mask.reduce(k) if k > 1 else mask for mask in masks)
