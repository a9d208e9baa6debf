"""Palette variants that stay legible: which re-orderings of a brand's colours keep every text of a
design at its WCAG contrast where the colours meet flat (a button's text on its fill, a text on a
flat panel or background under it).

Pure, like the renderer: the spec's layers are read, nothing is drawn. Photos and gradients under
a text are left to the renderer, which checks the pixels when it draws (contrast.py).
"""

from collections.abc import Mapping, Sequence

import numpy as np

from templates_app.spec import validate_spec

from .contrast import luminance, ratio, required_ratio
from .paint import Palette

ROLES = ("primary", "secondary", "accent")


def _solid(value) -> str | None:
    return value if isinstance(value, str) else None


def _contains(outer: list, inner: list) -> bool:
    ox, oy, ow, oh = outer
    x, y, w, h = inner
    cx, cy = x + w / 2, y + h / 2
    return ox <= cx <= ox + ow and oy <= cy <= oy + oh


def _pairs(spec: dict) -> list[tuple[str, str, float]]:
    """(text colour, flat colour under it, contrast needed) for every text whose backdrop is flat."""
    pairs = []
    for layout in spec["formats"].values():
        below: list[tuple[list, str | None]] = [([0, 0, 10**6, 10**6], _solid(layout["background"]))]
        for layer in layout["layers"]:
            kind = layer["type"]
            needed = required_ratio(layer["size"][0], layer["weight"]) if kind in ("text", "button") else 0.0
            if kind == "button":
                fill = _solid(layer["fill"])
                if fill and layer["opacity"] >= 1:
                    pairs.append((layer["color"], fill, needed))
                below.append((layer["box"], fill))
            elif kind == "text":
                under = next((colour for box, colour in reversed(below) if _contains(box, layer["box"])), None)
                if under and layer["opacity"] >= 1:
                    pairs.append((layer["color"], under, needed))
            elif kind == "shape" and layer["opacity"] >= 1 and not layer["rotate"] % 360:
                below.append((layer["box"], _solid(layer["fill"]) if layer["fill"] is not None else None))
            elif kind == "image":
                below.append((layer["box"], None))
    return pairs


def failures(spec: dict, brand: Mapping[str, str]) -> int:
    """How many flat text-on-colour pairs of the design fall below their WCAG minimum."""
    spec = validate_spec(spec)
    slots = {name: slot["default"] for name, slot in spec["slots"].items() if slot["type"] == "color"}
    palette = Palette(brand, slots)
    count = 0
    for text, under, needed in _pairs(spec):
        a = luminance(np.asarray(palette.resolve(text)[:3]))
        b = luminance(np.asarray(palette.resolve(under)[:3]))
        if ratio(float(a), float(b)) < needed:
            count += 1
    return count


def legible_rotations(spec: dict, brand: Mapping[str, str], rotations: Sequence[Sequence[int]]) -> list[int]:
    """The indexes of `rotations` (orders of primary, secondary, accent) under which no flat pair
    fails; when none is clean, those with the fewest failures (the renderer then adjusts)."""
    trio = [brand[key] for key in ROLES]
    counts = []
    for order in rotations:
        rotated = {**brand, **dict(zip(ROLES, (trio[i] for i in order), strict=True))}
        counts.append(failures(spec, rotated))
    best = min(counts)
    return [index for index, count in enumerate(counts) if count == best]
