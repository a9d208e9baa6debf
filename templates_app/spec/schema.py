"""Validation of design specs: every rule of docs/design-spec.md, every fault reported with its path.

The spec's structure (slots, formats, layers) is checked here; the values in it (numbers, colours,
fills, fonts) by the checks in values.py.
"""

import copy
import re
from typing import Any

from templates_app.errors import TemplateSpecError

from .formats import (
    ALIGN_RTL,
    ALIGNS,
    FORMAT_KEYS,
    FORMATS,
    IMAGE_FITS,
    IMAGE_ROLES,
    IMAGE_SHAPES,
    LAYER_TYPES,
    PATTERNS,
    SHAPES,
    SLOT_TYPES,
    SPEC_VERSION,
    TRANSFORMS,
    VALIGNS,
    Format,
)
from .values import BAD, ValueChecks, _choices, _is_number, _tidy_number

SLOT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
DEFAULT_MAX_CHARS = 100
MAX_CHARS_LIMIT = 500

# Keys each part may have, beyond those checked one by one: anything else is a typo worth reporting
# ("max_line" silently ignored would be a bug in a shipped template).
TOP_KEYS = {"version", "slots", "formats", "meta"}
FORMAT_KEYS_ALLOWED = {"background", "layers"}
SLOT_KEYS = {
    "text": {"type", "label", "default", "max_chars", "required", "help"},
    "image": {"type", "label", "role", "required", "help"},
    "color": {"type", "label", "default", "help"},
}
COMMON_LAYER_KEYS = {"type", "box", "id", "opacity"}
LAYER_KEYS = {
    "shape": COMMON_LAYER_KEYS | {"shape", "fill", "stroke", "radius", "rotate"},
    "pattern": COMMON_LAYER_KEYS | {"pattern", "color", "colors", "spacing", "size", "angle", "seed"},
    "image": COMMON_LAYER_KEYS | {"slot", "fit", "focal", "radius", "shape", "placeholder"},
    "text": COMMON_LAYER_KEYS
    | {
        "slot",
        "font",
        "weight",
        "size",
        "line_height",
        "max_lines",
        "align",
        "align_rtl",
        "valign",
        "color",
        "transform",
        "letter_spacing",
    },
    "button": COMMON_LAYER_KEYS
    | {
        "slot",
        "font",
        "weight",
        "size",
        "fill",
        "color",
        "radius",
        "padding",
        "stroke",
        "line_height",
        "max_lines",
        "transform",
        "letter_spacing",
    },
}


class _Validator(ValueChecks):
    def __init__(self, spec: Any) -> None:
        super().__init__()
        self.spec = spec
        self.slots: dict[str, dict] = {}

    # -- the spec ------------------------------------------------------------------------------

    def run(self) -> dict:
        spec = self.spec
        if not isinstance(spec, dict):
            self.problem("", "A design spec is a JSON object with version, slots and formats.")
            raise TemplateSpecError(self.problems)
        self.unknown_keys(spec, TOP_KEYS, "spec")
        version = spec.get("version")
        if version != SPEC_VERSION or isinstance(version, bool):
            self.problem("version", f"Unsupported version {version!r}; this renderer reads version {SPEC_VERSION}.")
        out: dict[str, Any] = {"version": SPEC_VERSION}
        if "meta" in spec:
            if isinstance(spec["meta"], dict):
                out["meta"] = copy.deepcopy(spec["meta"])
            else:
                self.problem("meta", "Must be an object.")
        out["slots"] = self.validate_slots(spec.get("slots"))
        out["formats"] = self.validate_formats(spec.get("formats"))
        if self.problems:
            raise TemplateSpecError(self.problems)
        return out

    def validate_slots(self, slots: Any) -> dict:
        if slots is None:
            slots = {}
        if not isinstance(slots, dict):
            self.problem("slots", "Must be an object of slot name → slot.")
            return {}
        # Record the types first so colour references can be checked in any order.
        self.slots = {
            name: slot
            for name, slot in slots.items()
            if isinstance(name, str) and SLOT_NAME.match(name) and isinstance(slot, dict)
        }
        out = {}
        for name, slot in slots.items():
            path = f"slots.{name}"
            if not isinstance(name, str) or not SLOT_NAME.match(name):
                self.problem(
                    path, f"Slot name {name!r} must be lowercase letters, digits and _ (starting with a letter)."
                )
                continue
            if not isinstance(slot, dict):
                self.problem(path, "A slot is an object with a type.")
                continue
            slot = {key: value for key, value in slot.items() if value is not None}  # null means absent
            kind = slot.get("type")
            if kind not in SLOT_TYPES:
                self.problem(f"{path}.type", f"Unknown slot type {kind!r}; choose one of {_choices(SLOT_TYPES)}.")
                continue
            self.unknown_keys(slot, SLOT_KEYS[kind], path)
            out[name] = getattr(self, f"validate_{kind}_slot")(name, slot, path)
        return out

    def _label(self, name: str, slot: dict, path: str, *, required: bool):
        if "label" not in slot:
            if required:
                return self.problem(f"{path}.label", "A text slot needs a label.")
            return name.replace("_", " ").capitalize()
        return self.text(slot["label"], f"{path}.label", allow_empty=False)

    def validate_text_slot(self, name: str, slot: dict, path: str) -> dict:
        out: dict[str, Any] = {"type": "text", "label": self._label(name, slot, path, required=True)}
        out["required"] = self.boolean(slot.get("required", True), f"{path}.required")
        out["max_chars"] = self.number(
            slot.get("max_chars", DEFAULT_MAX_CHARS), f"{path}.max_chars", low=1, high=MAX_CHARS_LIMIT, integer=True
        )
        if "default" not in slot:
            self.problem(f"{path}.default", "A text slot needs a default text.")
        else:
            default = self.text(slot["default"], f"{path}.default")
            if default is not BAD:
                if not default.strip() and out["required"] is not False:
                    self.problem(f"{path}.default", "The default text is empty; give one or set required: false.")
                elif out["max_chars"] is not BAD and len(default) > out["max_chars"]:
                    self.problem(
                        f"{path}.default",
                        f"The default text has {len(default)} characters, more than max_chars ({out['max_chars']}).",
                    )
            out["default"] = default
        if "help" in slot:
            out["help"] = self.text(slot["help"], f"{path}.help")
        return out

    def validate_image_slot(self, name: str, slot: dict, path: str) -> dict:
        out: dict[str, Any] = {"type": "image", "label": self._label(name, slot, path, required=False)}
        out["role"] = self.choice(slot.get("role", "other"), f"{path}.role", IMAGE_ROLES, "image role")
        out["required"] = self.boolean(slot.get("required", False), f"{path}.required")
        if "help" in slot:
            out["help"] = self.text(slot["help"], f"{path}.help")
        return out

    def validate_color_slot(self, name: str, slot: dict, path: str) -> dict:
        out: dict[str, Any] = {"type": "color", "label": self._label(name, slot, path, required=False)}
        out["default"] = self.color(slot.get("default", "brand.accent"), f"{path}.default", allow_slot=False)
        if "help" in slot:
            out["help"] = self.text(slot["help"], f"{path}.help")
        return out

    def validate_formats(self, formats: Any) -> dict:
        if not isinstance(formats, dict) or not formats:
            self.problem("formats", f"A spec must lay out at least one format ({_choices(FORMAT_KEYS)}).")
            return {}
        out = {}
        for key in formats:
            if key not in FORMATS:
                self.problem(f"formats.{key}", f"Unknown format {key!r}; choose from {_choices(FORMAT_KEYS)}.")
        for key in FORMAT_KEYS:  # the canonical order, whatever order the document had
            if key in formats:
                out[key] = self.validate_format(FORMATS[key], formats[key], f"formats.{key}")
        return out

    def validate_format(self, fmt: Format, layout: Any, path: str) -> dict:
        if not isinstance(layout, dict):
            self.problem(path, "A format's layout is an object with background and layers.")
            return {"background": "brand.background", "layers": []}
        self.unknown_keys(layout, FORMAT_KEYS_ALLOWED, path)
        out = {"background": self.fill(layout.get("background", "brand.background"), f"{path}.background")}
        layers = layout.get("layers")
        if not isinstance(layers, list):
            self.problem(f"{path}.layers", "Must be a list of layers (drawn bottom to top).")
            layers = []
        ids: set[str] = set()
        out_layers = []
        for i, layer in enumerate(layers):
            layer_path = f"{path}.layers[{i}]"
            normalised = self.validate_layer(fmt, layer, layer_path)
            layer_id = normalised.get("id") if isinstance(normalised, dict) else None
            if isinstance(layer_id, str):
                if layer_id in ids:
                    self.problem(f"{layer_path}.id", f"Another layer of this format already has the id {layer_id!r}.")
                ids.add(layer_id)
            out_layers.append(normalised)
        out["layers"] = out_layers
        return out

    def box(self, fmt: Format, value: Any, path: str):
        if value is None:
            return self.problem(path, "Every layer needs a box [x, y, width, height].")
        if not isinstance(value, list | tuple) or len(value) != 4 or not all(_is_number(v) for v in value):
            return self.problem(path, f"A box is [x, y, width, height] in canvas pixels, not {value!r}.")
        x, y, w, h = value
        if w <= 0 or h <= 0:
            return self.problem(path, f"The box {list(value)} needs a width and height above 0.")
        edges = []
        if x < 0:
            edges.append(f"left edge at {x:g} < 0")
        if y < 0:
            edges.append(f"top edge at {y:g} < 0")
        if x + w > fmt.width:
            edges.append(f"right edge at {x + w:g} > {fmt.width}")
        if y + h > fmt.height:
            edges.append(f"bottom edge at {y + h:g} > {fmt.height}")
        if edges:
            return self.problem(
                path, f"The box {list(value)} runs off the {fmt.width} x {fmt.height} canvas ({', '.join(edges)})."
            )
        return [_tidy_number(v) for v in value]

    def slot_ref(self, value: Any, path: str, kind: str):
        if value is None:
            return self.problem(path, f"This layer needs a slot: the name of a {kind} slot.")
        slot = self.slots.get(value) if isinstance(value, str) else None
        if slot is None:
            names = [n for n, s in self.slots.items() if s.get("type") == kind]
            hint = f"{kind} slots: {_choices(names)}" if names else f"the spec has no {kind} slots"
            return self.problem(path, f"Slot {value!r} is not defined ({hint}).")
        if slot.get("type") != kind:
            return self.problem(path, f"Slot {value!r} is a {slot.get('type')} slot; this layer needs a {kind} slot.")
        return value

    def validate_layer(self, fmt: Format, layer: Any, path: str):
        if not isinstance(layer, dict):
            return self.problem(path, "A layer is an object with a type and a box.")
        layer = {key: value for key, value in layer.items() if value is not None}  # null means absent
        kind = layer.get("type")
        if kind not in LAYER_TYPES:
            return self.problem(f"{path}.type", f"Unknown layer type {kind!r}; choose one of {_choices(LAYER_TYPES)}.")
        self.unknown_keys(layer, LAYER_KEYS[kind], path)
        out: dict[str, Any] = {"type": kind, "box": self.box(fmt, layer.get("box"), f"{path}.box")}
        if "id" in layer:
            out["id"] = self.text(layer["id"], f"{path}.id", allow_empty=False)
        out["opacity"] = self.number(layer.get("opacity", 1), f"{path}.opacity", low=0, high=1)
        getattr(self, f"validate_{kind}_layer")(layer, out, path)
        return out

    def _optional(self, layer: dict, key: str, path: str, check):
        """An optional part: absent and null both mean none."""
        value = layer.get(key)
        return None if value is None else check(value, f"{path}.{key}")

    def validate_shape_layer(self, layer: dict, out: dict, path: str) -> None:
        out["shape"] = self.choice(layer.get("shape", "rect"), f"{path}.shape", SHAPES, "shape")
        if layer.get("fill") is None and layer.get("stroke") is None:
            self.problem(f"{path}.fill", "A shape needs a fill, a stroke or both.")
        out["fill"] = self._optional(layer, "fill", path, self.fill)
        out["stroke"] = self._optional(layer, "stroke", path, self.stroke)
        out["radius"] = self.number(
            layer.get("radius", 24 if out["shape"] == "rounded_rect" else 0), f"{path}.radius", low=0
        )
        out["rotate"] = self.number(layer.get("rotate", 0), f"{path}.rotate", low=-360, high=360)

    def validate_pattern_layer(self, layer: dict, out: dict, path: str) -> None:
        out["pattern"] = self.choice(layer.get("pattern"), f"{path}.pattern", PATTERNS, "pattern")
        out["color"] = self.color(layer.get("color", "brand.accent"), f"{path}.color")
        if "colors" in layer:
            colors = layer["colors"]
            if not isinstance(colors, list) or not colors:
                self.problem(f"{path}.colors", "Must be a non-empty list of colours.")
            else:
                out["colors"] = [self.color(c, f"{path}.colors[{i}]") for i, c in enumerate(colors)]
        out["spacing"] = self.number(layer.get("spacing", 48), f"{path}.spacing", low=4, high=2000)
        out["size"] = self.number(layer.get("size", 8), f"{path}.size", low=0, low_open=True, high=2000)
        out["angle"] = self.number(layer.get("angle", 0), f"{path}.angle", low=-360, high=360)
        out["seed"] = self.number(layer.get("seed", 0), f"{path}.seed", low=0, integer=True)

    def validate_image_layer(self, layer: dict, out: dict, path: str) -> None:
        out["slot"] = self.slot_ref(layer.get("slot"), f"{path}.slot", "image")
        out["fit"] = self.choice(layer.get("fit", "cover"), f"{path}.fit", IMAGE_FITS, "fit")
        out["focal"] = self.pair(
            layer.get("focal", [0.5, 0.5]), f"{path}.focal", low=0, high=1, what="[x, y] from 0 to 1"
        )
        out["radius"] = self.number(layer.get("radius", 0), f"{path}.radius", low=0)
        out["shape"] = self.choice(layer.get("shape", "rect"), f"{path}.shape", IMAGE_SHAPES, "image shape")
        out["placeholder"] = self._optional(layer, "placeholder", path, self.fill)

    def _text_common(self, layer: dict, out: dict, path: str, *, weight: int, max_lines: int, line_height: float):
        out["slot"] = self.slot_ref(layer.get("slot"), f"{path}.slot", "text")
        out["font"] = self.font(layer.get("font", "brand.body"), f"{path}.font")
        out["weight"] = self.number(layer.get("weight", weight), f"{path}.weight", low=100, high=900, integer=True)
        out["size"] = self.size(layer.get("size"), f"{path}.size")
        out["line_height"] = self.number(layer.get("line_height", line_height), f"{path}.line_height", low=0.7, high=3)
        out["max_lines"] = self.number(
            layer.get("max_lines", max_lines), f"{path}.max_lines", low=1, high=20, integer=True
        )
        out["transform"] = self.choice(layer.get("transform", "none"), f"{path}.transform", TRANSFORMS, "transform")
        out["letter_spacing"] = self.number(layer.get("letter_spacing", 0), f"{path}.letter_spacing", low=-20, high=200)

    def size(self, value: Any, path: str):
        if value is None:
            return self.problem(path, "A text layer needs size [min, max] in px.")
        if _is_number(value):
            value = [value, value]
        pair = self.pair(value, path, what="[min, max] in px")
        if pair is BAD:
            return BAD
        low, high = pair
        if low < 4 or high > 1000:
            return self.problem(path, f"Sizes must be between 4 and 1000 px, not {pair}.")
        if low > high:
            return self.problem(path, f"The minimum size {low:g} is above the maximum {high:g}.")
        return pair

    def validate_text_layer(self, layer: dict, out: dict, path: str) -> None:
        self._text_common(layer, out, path, weight=400, max_lines=3, line_height=1.2)
        out["align"] = self.choice(layer.get("align", "left"), f"{path}.align", ALIGNS, "align")
        out["align_rtl"] = self.choice(layer.get("align_rtl", "keep"), f"{path}.align_rtl", ALIGN_RTL, "align_rtl")
        out["valign"] = self.choice(layer.get("valign", "top"), f"{path}.valign", VALIGNS, "valign")
        out["color"] = self.color(layer.get("color", "brand.text"), f"{path}.color")

    def validate_button_layer(self, layer: dict, out: dict, path: str) -> None:
        self._text_common(layer, out, path, weight=700, max_lines=1, line_height=1.1)
        out["fill"] = self.fill(layer.get("fill", "brand.primary"), f"{path}.fill")
        out["color"] = self.color(layer.get("color", "#FFFFFF"), f"{path}.color")
        radius = layer.get("radius")
        out["radius"] = None if radius is None else self.number(radius, f"{path}.radius", low=0)
        out["stroke"] = self._optional(layer, "stroke", path, self.stroke)
        padding = self.pair(layer.get("padding", [32, 16]), f"{path}.padding", low=0, what="[x, y] in px")
        box = out["box"]
        if padding is not BAD and box is not BAD and (2 * padding[0] >= box[2] or 2 * padding[1] >= box[3]):
            self.problem(
                f"{path}.padding", f"The padding {padding} leaves no room for text in a {box[2]:g} x {box[3]:g} button."
            )
        out["padding"] = padding


def validate_spec(spec: dict) -> dict:
    """Check a design spec against every rule of docs/design-spec.md.

    Returns a normalised copy (defaults filled in, formats in canonical order, colours upper case);
    raises TemplateSpecError listing every problem found, each with the path of the part at fault.
    Validating a normalised spec again returns an equal spec.
    """
    return _Validator(spec).run()
