"""Adapting a spec's layouts to the formats it lacks.

A missing format is laid out from the present format nearest to it by aspect ratio. Every box is
carried over by a piecewise-linear map on each axis that takes the source's safe zone onto the
target's safe zone and the margins outside it onto the target's margins. So:

- a box keeps its relative position, and one box inside another stays inside it (the map is
  monotone), so a button on a panel stays on the panel;
- full-bleed layers stay full-bleed;
- buttons keep their proportions (the largest box of their shape inside the mapped box);
- text that was inside the source's safe zone lands inside the target's safe zone, which keeps
  9:16 text out of the bands the Stories and Reels interface covers.

Text sizes, paddings, radii, strokes and pattern sizes scale by the smaller of the two safe-zone
factors, so a text that fits its source box fits the adapted box too.
"""

import copy
import math

from .formats import FORMAT_KEYS, FORMATS, Format
from .schema import validate_spec


def nearest_format(present: list[str], key: str) -> str:
    """The present format whose aspect ratio is nearest to `key`'s (ties go to the earlier format)."""
    target = math.log(FORMATS[key].aspect)
    return min(present, key=lambda k: (abs(math.log(FORMATS[k].aspect) - target), FORMAT_KEYS.index(k)))


def _axis_map(src_len: int, src_lo: int, src_hi: int, dst_len: int, dst_lo: int, dst_hi: int):
    """A monotone map [0, src_len] -> [0, dst_len] taking [src_lo, src_hi] onto [dst_lo, dst_hi]."""

    def apply(v: float) -> float:
        if v <= src_lo:
            return v * dst_lo / src_lo if src_lo else dst_lo
        if v >= src_hi:
            rest = src_len - src_hi
            return dst_hi + (v - src_hi) * (dst_len - dst_hi) / rest if rest else dst_hi
        return dst_lo + (v - src_lo) * (dst_hi - dst_lo) / (src_hi - src_lo)

    return apply


class _Mapper:
    def __init__(self, src: Format, dst: Format) -> None:
        sx, sy, sw, sh = src.safe_box
        dx, dy, dw, dh = dst.safe_box
        self.fx = _axis_map(src.width, sx, sx + sw, dst.width, dx, dx + dw)
        self.fy = _axis_map(src.height, sy, sy + sh, dst.height, dy, dy + dh)
        self.scale = min(dw / sw, dh / sh)
        self.src, self.dst = src, dst

    def box(self, box: list) -> list[int]:
        x, y, w, h = box
        x0, x1 = round(self.fx(x)), round(self.fx(x + w))
        y0, y1 = round(self.fy(y)), round(self.fy(y + h))
        x0, y0 = min(max(x0, 0), self.dst.width - 1), min(max(y0, 0), self.dst.height - 1)
        x1, y1 = min(max(x1, x0 + 1), self.dst.width), min(max(y1, y0 + 1), self.dst.height)
        return [x0, y0, x1 - x0, y1 - y0]

    def keep_aspect(self, box: list, mapped: list[int]) -> list[int]:
        """The largest box of `box`'s proportions inside `mapped`, placed as `box` sits on its canvas
        (left, centred or right; top, middle or bottom), so a button is not stretched into a bar."""
        x, y, w, h = box
        mx, my, mw, mh = mapped
        k = min(mw / w, mh / h)
        nw, nh = max(1, min(mw, round(w * k))), max(1, min(mh, round(h * k)))

        def place(start: float, size: float, canvas: int, free: int) -> int:
            centre = (start + size / 2) / canvas
            if abs(centre - 0.5) < 0.05:
                return free // 2
            return 0 if centre < 0.5 else free

        return [
            mx + place(x, w, self.src.width, mw - nw),
            my + place(y, h, self.src.height, mh - nh),
            nw,
            nh,
        ]

    def length(self, value: float) -> int | float:
        scaled = value * self.scale
        return round(scaled) if scaled >= 2 else round(scaled, 2)

    def stroke(self, stroke: dict | None) -> dict | None:
        if not stroke:
            return stroke
        return {**stroke, "width": max(1, self.length(stroke["width"]))}

    def layer(self, layer: dict) -> dict:
        out = copy.deepcopy(layer)
        out["box"] = self.box(layer["box"])
        kind = layer["type"]
        if kind == "shape":
            out["radius"] = self.length(layer["radius"])
            out["stroke"] = self.stroke(layer["stroke"])
        elif kind == "pattern":
            out["spacing"] = max(4, self.length(layer["spacing"]))
            out["size"] = max(0.5, self.length(layer["size"]))
        elif kind == "image":
            out["radius"] = self.length(layer["radius"])
        elif kind in ("text", "button"):
            low, high = layer["size"]
            # Floor the minimum so a text that fitted at the source's minimum still fits here.
            out["size"] = [max(4, math.floor(low * self.scale)), max(4, round(high * self.scale))]
            out["letter_spacing"] = round(layer["letter_spacing"] * self.scale, 2)
            if kind == "button":
                out["box"] = self.keep_aspect(layer["box"], out["box"])
                out["padding"] = [self.length(p) for p in layer["padding"]]
                out["radius"] = None if layer["radius"] is None else self.length(layer["radius"])
                out["stroke"] = self.stroke(layer["stroke"])
                _, _, w, h = out["box"]
                px, py = out["padding"]
                out["padding"] = [min(px, max(0, (w - 1) // 2)), min(py, max(0, (h - 1) // 2))]
        return out

    def layout(self, layout: dict) -> dict:
        return {
            "background": copy.deepcopy(layout["background"]),
            "layers": [self.layer(lay) for lay in layout["layers"]],
        }


def adapt_layout(spec: dict, source_key: str, target_key: str) -> dict:
    """The layout of `target_key` adapted from the normalised spec's `source_key` layout."""
    mapper = _Mapper(FORMATS[source_key], FORMATS[target_key])
    return mapper.layout(spec["formats"][source_key])


def complete_formats(spec: dict) -> tuple[dict, list[str]]:
    """The spec (validated and normalised) with all four formats, and the keys of those adapted.

    Raises TemplateSpecError when the spec itself is not valid.
    """
    spec = validate_spec(spec)
    present = [key for key in FORMAT_KEYS if key in spec["formats"]]
    adapted = [key for key in FORMAT_KEYS if key not in spec["formats"]]
    if not adapted:
        return spec, []
    formats = {}
    for key in FORMAT_KEYS:
        if key in spec["formats"]:
            formats[key] = spec["formats"][key]
        else:
            formats[key] = adapt_layout(spec, nearest_format(present, key), key)
    spec["formats"] = formats
    return spec, adapted
