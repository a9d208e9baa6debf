"""Drawing each kind of layer onto the canvas."""

from dataclasses import dataclass, field
from functools import lru_cache

from PIL import Image, ImageChops

from templates_app.errors import TextDoesNotFit
from templates_app.spec.lint import SpecWarning

from . import contrast
from .artwork import pattern_masks
from .encode import to_srgb
from .fonts import DEFAULT_FAMILY, choose_face, family_faces
from .paint import Palette, gradient_image, paint, scale_mask, shape_mask, stroke_mask
from .text import (
    NoFit,
    TextLayout,
    detect_direction,
    fit_text,
    measure_layout,
    place_lines,
    prepare_text,
    rasterize_layout,
)
from .types import DrawnText, LayerBox, RenderInputs

IntBox = tuple[int, int, int, int]  # x, y, width, height in output pixels


@dataclass
class Context:
    canvas: Image.Image
    spec: dict
    format_key: str
    inputs: RenderInputs
    palette: Palette
    scale: float
    glyphs: bool = True  # False: everything as drawn but the letters (to measure what is under them)
    text_boxes: list[DrawnText] = field(default_factory=list)
    warnings: list[SpecWarning] = field(default_factory=list)
    layer_boxes: list[LayerBox] = field(default_factory=list)
    adjustments: list[str] = field(default_factory=list)
    _images: dict[str, Image.Image | None] = field(default_factory=dict)

    def box(self, box: list) -> IntBox:
        """A spec box in output pixels; edges are rounded, so neighbouring boxes stay neighbours."""
        s = self.scale
        x, y, w, h = box
        x0, y0 = round(x * s), round(y * s)
        x1, y1 = max(x0 + 1, round((x + w) * s)), max(y0 + 1, round((y + h) * s))
        return x0, y0, x1 - x0, y1 - y0

    def image_for(self, slot: str) -> Image.Image | None:
        if slot not in self._images:
            image = self.inputs.images.get(slot)
            if image is None and self.spec["slots"][slot].get("role") == "logo":
                image = self.inputs.brand.logo
            self._images[slot] = to_srgb(image) if image is not None else None
        return self._images[slot]

    def text_for(self, slot: str) -> str:
        definition = self.spec["slots"][slot]
        given = self.inputs.texts.get(slot)
        if given is None:  # no input at all (thumbnails, a spec preview): the sample copy
            return definition.get("default", "")
        return given  # a blank text is left out of the ad, never replaced by the sample copy

    def adjusted(self, note: str) -> None:
        if note not in self.adjustments:
            self.adjustments.append(note)

    def family_for(self, font: str, path: str) -> str:
        brand = self.inputs.brand
        family = {"brand.heading": brand.heading_font, "brand.body": brand.body_font}.get(font, font)
        if family_faces(family, self.inputs.extra_fonts) is None:
            self.warnings.append(
                SpecWarning(
                    self.format_key, path, "", f"The font {family!r} is not available; {DEFAULT_FAMILY} was used."
                )
            )
            return DEFAULT_FAMILY
        return family


@lru_cache(maxsize=16)
def _turned(tile_key: tuple, degrees: float) -> tuple[Image.Image, Image.Image]:
    """A shape tile turned `degrees` clockwise (expanded to hold it): RGB and alpha, cached."""
    fill_key, stroke_key, stroke_px, shape, width, height, radius = tile_key
    mask = None if shape == "rect" else shape_mask(shape, width, height, radius)
    tile = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    if fill_key is not None:
        tile = _tile(fill_key, (width, height), mask)
    if stroke_key is not None:
        stroke = _tile(stroke_key, (width, height), stroke_mask(shape, width, height, radius, stroke_px))
        tile = Image.alpha_composite(tile, stroke)
    turned = tile.rotate(-degrees, resample=Image.Resampling.BICUBIC, expand=True)
    return turned.convert("RGB"), turned.getchannel("A")


def _tile(key: tuple, size: tuple[int, int], mask: Image.Image | None) -> Image.Image:
    """An RGBA tile of a fill through a mask (for layers drawn turned)."""
    alpha = mask if mask is not None else Image.new("L", size, 255)
    if key[0] == "solid":
        tile = Image.new("RGBA", size, (*key[1][:3], 255))
        alpha = scale_mask(alpha, key[1][3] / 255)
    else:
        rgb, gradient_alpha = gradient_image(key, size[0], size[1])
        tile = rgb.convert("RGBA")
        if gradient_alpha is not None:
            alpha = ImageChops.multiply(alpha, gradient_alpha)
    tile.putalpha(alpha)
    return tile


def draw_shape(ctx: Context, layer: dict, index: int) -> None:
    x, y, w, h = ctx.box(layer["box"])
    shape = layer["shape"]
    radius = layer["radius"] * ctx.scale
    mask = None if shape == "rect" else shape_mask(shape, w, h, radius)
    fill, stroke, opacity = layer["fill"], layer["stroke"], layer["opacity"]
    stroke_key = ctx.palette.fill_key(stroke["color"]) if stroke else None
    stroke_px = max(1.0, stroke["width"] * ctx.scale) if stroke else 0.0
    if layer["rotate"] % 360:
        fill_key = ctx.palette.fill_key(fill) if fill is not None else None
        rgb, alpha = _turned((fill_key, stroke_key, stroke_px, shape, w, h, radius), float(layer["rotate"]))
        at = (round(x + w / 2 - rgb.width / 2), round(y + h / 2 - rgb.height / 2))
        ctx.canvas.paste(rgb, at, scale_mask(alpha, opacity))
        return
    if fill is not None:
        paint(ctx.canvas, ctx.palette.fill_key(fill), (w, h), mask, (x, y), opacity)
    if stroke:
        paint(ctx.canvas, stroke_key, (w, h), stroke_mask(shape, w, h, radius, stroke_px), (x, y), opacity)


def draw_pattern(ctx: Context, layer: dict, index: int) -> None:
    x, y, w, h = ctx.box(layer["box"])
    colours = layer.get("colors") or [layer["color"]]
    masks = pattern_masks(
        layer["pattern"],
        w,
        h,
        max(1.0, layer["spacing"] * ctx.scale),
        max(0.25, layer["size"] * ctx.scale),
        float(layer["angle"]),
        layer["seed"],
        len(colours),
    )
    for colour, mask in zip(colours, masks, strict=True):
        paint(ctx.canvas, ("solid", ctx.palette.resolve(colour)), (w, h), mask, (x, y), layer["opacity"])


def fit_image(
    image: Image.Image, width: int, height: int, fit: str, focal: tuple[float, float]
) -> tuple[Image.Image, int, int]:
    """The image scaled for a width x height box: cropped around the focal point (cover) or
    shrunk to fit whole (contain). Returns the image and its offset inside the box."""
    iw, ih = image.size
    premultiplied = image.mode == "RGBA"
    source = image.convert("RGBa") if premultiplied else image
    if fit == "cover":
        scale = max(width / iw, height / ih)
        cw, ch = width / scale, height / scale
        left = min(max(focal[0] * iw - cw / 2, 0.0), iw - cw)
        top = min(max(focal[1] * ih - ch / 2, 0.0), ih - ch)
        out = source.resize(
            (width, height), Image.Resampling.LANCZOS, box=(left, top, left + cw, top + ch), reducing_gap=3.0
        )
        dx = dy = 0
    else:
        scale = min(width / iw, height / ih)
        size = (max(1, round(iw * scale)), max(1, round(ih * scale)))
        out = source.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        dx, dy = (width - size[0]) // 2, (height - size[1]) // 2
    if premultiplied:
        out = out.convert("RGBA")
    return out, dx, dy


def draw_image(ctx: Context, layer: dict, index: int) -> None:
    x, y, w, h = ctx.box(layer["box"])
    image = ctx.image_for(layer["slot"])
    radius = layer["radius"] * ctx.scale
    shape = "circle" if layer["shape"] == "circle" else ("rounded_rect" if radius > 0 else "rect")
    if ctx.spec["slots"][layer["slot"]].get("role") == "logo" and (image is not None or layer["placeholder"]):
        ctx.layer_boxes.append(LayerBox("logo", layer["slot"], (x, y, x + w, y + h)))
    if image is None:
        if layer["placeholder"] is not None:
            mask = None if shape == "rect" else shape_mask(shape, w, h, radius)
            paint(ctx.canvas, ctx.palette.fill_key(layer["placeholder"]), (w, h), mask, (x, y), layer["opacity"])
        return
    fitted, dx, dy = fit_image(image, w, h, layer["fit"], tuple(layer["focal"]))
    mask = None if shape == "rect" else shape_mask(shape, fitted.width, fitted.height, radius)
    if fitted.mode == "RGBA":
        alpha = fitted.getchannel("A")
        mask = alpha if mask is None else ImageChops.multiply(alpha, mask)
        fitted = fitted.convert("RGB")
    if mask is None and layer["opacity"] >= 1:
        ctx.canvas.paste(fitted, (x + dx, y + dy))
    else:
        mask = mask if mask is not None else Image.new("L", fitted.size, 255)
        ctx.canvas.paste(fitted, (x + dx, y + dy), scale_mask(mask, layer["opacity"]))


def _fit(ctx: Context, layer: dict, text: str, family: str, direction: str, design_box: tuple, path: str) -> TextLayout:
    chosen_family, font_path = choose_face(text, family, layer["weight"], ctx.inputs.extra_fonts)
    spacing = 0.0 if direction == "rtl" else float(layer["letter_spacing"])
    try:
        return fit_text(
            text,
            path=font_path,
            family=chosen_family,
            box_width=design_box[2],
            box_height=design_box[3],
            size_range=tuple(layer["size"]),
            line_height=layer["line_height"],
            max_lines=layer["max_lines"],
            letter_spacing=spacing,
            direction=direction,
        )
    except NoFit as exc:
        raise TextDoesNotFit(
            slot=layer["slot"],
            format_key=ctx.format_key,
            overflow_lines=exc.overflow_lines,
            overflow_px=exc.overflow_px,
            min_size=exc.size,
        ) from exc


def _rescale(layout: TextLayout, scale: float, width: float, height: float, line_height: float) -> TextLayout:
    """The same lines at `scale`, shrunk a little further if rounding at the small size overflows."""
    if scale == 1:
        return layout
    size = layout.size * scale
    measured = layout
    for _ in range(6):
        measured = measure_layout(
            layout.path,
            layout.family,
            size,
            layout.texts,
            direction=layout.direction,
            line_height=line_height,
            letter_spacing=layout.letter_spacing * scale,
        )
        if measured.width <= width and measured.height <= height:
            break
        size *= min(width / max(measured.width, 1e-6), height / max(measured.height, 1e-6), 1.0) * 0.99
    return measured


def _draw_text_block(
    ctx: Context,
    layer: dict,
    index: int,
    text: str,
    design_box: tuple,
    out_box: IntBox,
    align: str,
    valign: str,
    path: str,
) -> None:
    direction = detect_direction(text)
    family = ctx.family_for(layer["font"], f"{path}.font")
    layout = _fit(ctx, layer, text, family, direction, design_box, path)
    drawn = _rescale(layout, ctx.scale, out_box[2], out_box[3], layer["line_height"])
    if direction == "rtl" and layer.get("align_rtl") == "mirror":
        align = {"left": "right", "right": "left"}.get(align, align)
    positions = place_lines(drawn, out_box, align, valign)
    colour = ctx.palette.resolve(layer["color"])
    opacity = layer["opacity"]
    x, y, w, h = out_box
    ink = None
    needed = contrast.required_ratio(layout.size, layer["weight"])
    rasterised = rasterize_layout(drawn, positions)
    if rasterised is not None:
        mask, at, ink = rasterised
        colour, opacity = _legible(ctx, layer, drawn.size, mask, at, ink, colour[:3], opacity, needed)
        if ctx.glyphs:
            paint(ctx.canvas, ("solid", colour), mask.size, mask, at, opacity)
        if layer["type"] == "text":
            ctx.layer_boxes.append(LayerBox("text", layer["slot"], ink))
    ctx.text_boxes.append(
        DrawnText(
            slot=layer["slot"],
            layer_index=index,
            layout_box=(x, y, x + w, y + h),
            ink_box=ink,
            font_size=layout.size,
            lines=list(layout.texts),
            direction=direction,
            font_family=layout.family,
            color=colour[:3],
            min_ratio=needed,
            opacity=opacity,
        )
    )


def _what(ctx: Context, layer: dict) -> str:
    if layer["type"] == "button":
        return "Button text"
    label = ctx.spec["slots"][layer["slot"]].get("label") or layer["slot"].replace("_", " ")
    return f"{label[:1].upper()}{label[1:]}"


def _clear_of_drawn_texts(ctx: Context, ink: tuple, box: tuple) -> tuple[int, int, int, int]:
    """The scrim box cut back on the side of any text drawn already, so it does not dim it."""
    x0, y0, x1, y1 = box
    for other in ctx.text_boxes:
        o = other.ink_box
        if o is None or not (o[0] < x1 and x0 < o[2] and o[1] < y1 and y0 < o[3]):
            continue
        if o[3] <= ink[1]:
            y0 = max(y0, o[3])
        elif o[1] >= ink[3]:
            y1 = min(y1, o[1])
        elif o[2] <= ink[0]:
            x0 = max(x0, o[2])
        elif o[0] >= ink[2]:
            x1 = min(x1, o[0])
    return x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)


def _legible(
    ctx: Context,
    layer: dict,
    size_px: float,
    mask: Image.Image,
    at: tuple[int, int],
    ink: tuple[int, int, int, int],
    colour: tuple[int, int, int],
    opacity: float,
    needed: float,
) -> tuple[tuple, float]:
    """The colour and opacity that make this text legible over what is under it, drawing a scrim
    first when no colour can be (see contrast.py); the change is noted for the user."""
    if opacity <= 0:
        return (*colour, 255), opacity
    background = contrast.glyph_background(ctx.canvas, mask, at)
    if background is None:
        return (*colour, 255), opacity
    choice = contrast.nearest_passing(colour, opacity, background, needed)
    what = _what(ctx, layer)
    if choice is None:
        scrim, alpha, choice = contrast.choose_scrim(colour, background, needed)
        pad = max(2, round(size_px * 0.35))
        x0, y0 = max(0, ink[0] - pad), max(0, ink[1] - pad)
        x1, y1 = min(ctx.canvas.width, ink[2] + pad), min(ctx.canvas.height, ink[3] + pad)
        x0, y0, x1, y1 = _clear_of_drawn_texts(ctx, ink, (x0, y0, x1, y1))
        radius = min(pad, (x1 - x0) / 2, (y1 - y0) / 2)
        paint(
            ctx.canvas,
            ("solid", (*scrim, 255)),
            (x1 - x0, y1 - y0),
            shape_mask("rounded_rect", x1 - x0, y1 - y0, radius),
            (x0, y0),
            alpha,
        )
        ctx.adjusted(
            f"{what}: a {'light' if scrim == contrast.LIGHT_SCRIM else 'dark'} panel added behind it for legibility"
        )
    if choice.change:
        ctx.adjusted(f"{what} {choice.change} for legibility")
        return (*choice.colour, 255), 1.0
    return (*choice.colour, 255), opacity


def draw_text(ctx: Context, layer: dict, index: int) -> None:
    text = prepare_text(ctx.text_for(layer["slot"]), layer["transform"])
    if not text:
        return
    path = f"formats.{ctx.format_key}.layers[{index}]"
    _draw_text_block(
        ctx, layer, index, text, layer["box"], ctx.box(layer["box"]), layer["align"], layer["valign"], path
    )


def draw_button(ctx: Context, layer: dict, index: int) -> None:
    text = prepare_text(ctx.text_for(layer["slot"]), layer["transform"])
    if not text:
        return  # no call to action: no empty button either
    x, y, w, h = ctx.box(layer["box"])
    ctx.layer_boxes.append(LayerBox("button", layer["slot"], (x, y, x + w, y + h)))
    radius = min(w, h) / 2 if layer["radius"] is None else layer["radius"] * ctx.scale
    mask = shape_mask("rounded_rect", w, h, radius) if radius > 0 else None
    paint(ctx.canvas, ctx.palette.fill_key(layer["fill"]), (w, h), mask, (x, y), layer["opacity"])
    if layer["stroke"]:
        stroke_px = max(1.0, layer["stroke"]["width"] * ctx.scale)
        shape = "rounded_rect" if radius > 0 else "rect"
        paint(
            ctx.canvas,
            ctx.palette.fill_key(layer["stroke"]["color"]),
            (w, h),
            stroke_mask(shape, w, h, radius, stroke_px),
            (x, y),
            layer["opacity"],
        )
    bx, by, bw, bh = layer["box"]
    px, py = layer["padding"]
    design_inner = (bx + px, by + py, bw - 2 * px, bh - 2 * py)
    path = f"formats.{ctx.format_key}.layers[{index}]"
    _draw_text_block(ctx, layer, index, text, design_inner, ctx.box(design_inner), "center", "middle", path)


PAINTERS = {
    "shape": draw_shape,
    "pattern": draw_pattern,
    "image": draw_image,
    "text": draw_text,
    "button": draw_button,
}
