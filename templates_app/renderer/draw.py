"""render_ad: a design spec, a format and a user's inputs in, pixels out."""

from PIL import Image

from templates_app.errors import TemplateSpecError
from templates_app.spec import FORMATS, complete_formats, lint_format_layout, validate_spec
from templates_app.spec.formats import BRAND_COLOR_KEYS
from templates_app.spec.values import HEX_COLOR

from .layers import PAINTERS, Context
from .paint import Palette, paint
from .types import DEFAULT_BRAND_COLORS, RenderInputs, RenderResult


def _palette(spec: dict, inputs: RenderInputs) -> Palette:
    problems = []
    brand = dict(DEFAULT_BRAND_COLORS)
    for key in BRAND_COLOR_KEYS:
        value = inputs.brand.colors.get(key)
        if value is None:
            continue
        if isinstance(value, str) and HEX_COLOR.match(value):
            brand[key] = value
        else:
            problems.append((f"brand.{key}", f"Not a colour: {value!r}; use #RRGGBB."))
    slots = {}
    for name, slot in spec["slots"].items():
        if slot["type"] != "color":
            continue
        value = inputs.colors.get(name)
        if value is None:
            slots[name] = slot["default"]
        elif isinstance(value, str) and HEX_COLOR.match(value):
            slots[name] = value
        else:
            problems.append((f"colors.{name}", f"Not a colour: {value!r}; use #RRGGBB."))
    if problems:
        raise TemplateSpecError(problems, code="invalid_inputs")
    return Palette(brand, slots)


def _inside(inner: list, outer: list) -> bool:
    x, y, w, h = inner
    ox, oy, ow, oh = outer
    return ox <= x and oy <= y and x + w <= ox + ow and y + h <= oy + oh


def sample_art_layers(spec: dict, layout: dict, inputs: RenderInputs, size: tuple[int, int]) -> set[int]:
    """The layers that illustrate a product photo not given: shapes and patterns drawn before a
    product image layer, inside its box, other than full-canvas backgrounds."""
    canvas = [0, 0, *size]
    art: set[int] = set()
    for index, layer in enumerate(layout["layers"]):
        if layer["type"] != "image" or spec["slots"][layer["slot"]].get("role") != "product":
            continue
        if inputs.images.get(layer["slot"]) is not None:
            continue
        for earlier, other in enumerate(layout["layers"][:index]):
            if other["type"] in ("shape", "pattern") and other["box"] != canvas and _inside(other["box"], layer["box"]):
                art.add(earlier)
    return art


def render_ad(
    spec: dict, format_key: str, inputs: RenderInputs | None = None, *, scale: float = 1.0, glyphs: bool = True
) -> RenderResult:
    """Draw one format of a design with a user's inputs.

    Missing texts take their slot's default, blank ones are left out; a format the spec lacks is adapted from the nearest
    one. `scale` below 1 draws a preview or thumbnail with the same layout (texts are fitted, and
    wrapped, at full size). The same inputs always give the same pixels.

    Every text is drawn legibly (WCAG contrast against the pixels under it; see contrast.py), and
    what was changed for that is listed in the result's `adjustments`. `glyphs=False` draws the
    same ad without the letters (scrims and buttons stay), to measure what lies under them.

    Raises TemplateSpecError (an invalid spec or input colour) and TextDoesNotFit.
    """
    if format_key not in FORMATS:
        raise TemplateSpecError([("format", f"Unknown format {format_key!r}; choose from {', '.join(FORMATS)}.")])
    if not 0 < scale <= 4:
        raise ValueError("scale must be above 0 and at most 4")
    inputs = inputs or RenderInputs()
    spec = validate_spec(spec)
    if format_key not in spec["formats"]:
        spec, _ = complete_formats(spec)
    fmt = FORMATS[format_key]
    size = (max(1, round(fmt.width * scale)), max(1, round(fmt.height * scale)))
    palette = _palette(spec, inputs)
    layout = spec["formats"][format_key]
    canvas = Image.new("RGB", size, (255, 255, 255))
    ctx = Context(canvas, spec, format_key, inputs, palette, scale, glyphs=glyphs)
    paint(canvas, palette.fill_key(layout["background"]), size, None, (0, 0))
    left_out = set() if inputs.sample_art else sample_art_layers(spec, layout, inputs, fmt.size)
    for index, layer in enumerate(layout["layers"]):
        if index not in left_out:
            PAINTERS[layer["type"]](ctx, layer, index)
    warnings = lint_format_layout(spec, format_key) + ctx.warnings
    return RenderResult(
        image=canvas,
        text_boxes=ctx.text_boxes,
        warnings=warnings,
        layer_boxes=ctx.layer_boxes,
        adjustments=ctx.adjustments,
    )
