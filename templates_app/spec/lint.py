"""Warnings about layouts that are valid but risky: text, the call to action or a logo outside the safe zone."""

from typing import NamedTuple

from .adapt import complete_formats
from .formats import FORMATS, Format
from .schema import validate_spec


class SpecWarning(NamedTuple):
    format_key: str
    path: str
    slot: str
    message: str


def _outside(box: list, fmt: Format) -> list[str]:
    """Where the box leaves the format's safe zone, in words."""
    x, y, w, h = box
    sx, sy, sw, sh = fmt.safe_box
    covered = fmt.key == "9:16"
    where = []
    if y < sy:
        band = "the Stories/Reels interface covers" if covered else "the safe margin"
        where.append(f"reaches {sy - y:g} px into the top {sy} px ({band})")
    if y + h > sy + sh:
        band = "the Stories/Reels interface covers" if covered else "the safe margin"
        where.append(f"reaches {y + h - (sy + sh):g} px into the bottom {fmt.height - sy - sh} px ({band})")
    if x < sx:
        where.append(f"reaches {sx - x:g} px into the left {sx} px margin")
    if x + w > sx + sw:
        where.append(f"reaches {x + w - (sx + sw):g} px into the right {fmt.width - sx - sw} px margin")
    return where


def lint_format_layout(spec: dict, format_key: str) -> list[SpecWarning]:
    """lint_layout for a normalised spec that has the format (the renderer's path: no re-validation)."""
    fmt = FORMATS[format_key]
    slots = spec["slots"]
    warnings = []
    for i, layer in enumerate(spec["formats"][format_key]["layers"]):
        kind = layer["type"]
        slot = layer.get("slot") or ""
        if kind == "image" and slots.get(slot, {}).get("role") != "logo":
            continue
        if kind not in ("text", "button", "image"):
            continue
        where = _outside(layer["box"], fmt)
        if where:
            what = {"text": "Text", "button": "The button", "image": "The logo"}[kind]
            message = f"{what} '{slot}' {' and '.join(where)} of the {fmt.key} format."
            warnings.append(SpecWarning(format_key, f"formats.{format_key}.layers[{i}].box", slot, message))
    return warnings


def lint_layout(spec: dict, format_key: str) -> list[SpecWarning]:
    """Warnings for the text, button and logo boxes of one format that leave its safe zone.

    A format the spec lacks is linted as adapted. Raises TemplateSpecError for an invalid spec.
    """
    if format_key not in FORMATS:
        raise KeyError(format_key)
    spec = validate_spec(spec)
    if format_key not in spec["formats"]:
        spec, _ = complete_formats(spec)
    return lint_format_layout(spec, format_key)
