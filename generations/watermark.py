"""The free plan's watermark: a small "Made with CraftAds" badge.

Drawn after the ad is rendered, above everything, at a size proportional to the image so it reads
the same in every format. It never covers a text, a button or a logo: given the boxes the renderer
laid out (RenderResult.layer_boxes), it takes the first place along the edges that is clear, in
order of preference (the corners, bottom right first, then the middle of the bottom and top
edges, then anywhere along an edge), and shrinks (down to 60 %) before it would overlap anything.
Deterministic like the renderer.
"""

from collections.abc import Iterable
from functools import cache

from PIL import Image, ImageDraw, ImageFont

from templates_app.renderer import available_fonts

WATERMARK_TEXT = "Made with CraftAds"
# The badge's size relative to its full size, tried in this order before accepting an overlap.
SHRINK_STEPS = (1.0, 0.9, 0.8, 0.7, 0.6)
# Positions along an edge tried after the corners and centres, as fractions of the free length.
EDGE_STEPS = 24
Box = tuple[int, int, int, int]  # left, top, right, bottom


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    faces = available_fonts()["Inter"]
    weight = 600 if 600 in faces else max(faces)
    return ImageFont.truetype(str(faces[weight]), size)


def _badge(short: int, factor: float) -> tuple[ImageFont.FreeTypeFont, int, int, int, int, tuple]:
    size = max(10, round(max(12, short * 0.026) * factor))
    pad_x, pad_y = round(size * 0.8), round(size * 0.45)
    font = _font(size)
    bbox = font.getbbox(WATERMARK_TEXT)
    return font, bbox[2] - bbox[0] + 2 * pad_x, bbox[3] - bbox[1] + 2 * pad_y, pad_x, pad_y, bbox


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _positions(width: int, height: int, box_w: int, box_h: int, margin: int) -> Iterable[tuple[int, int]]:
    left, right = margin, width - margin - box_w
    top, bottom = margin, height - margin - box_h
    centre = (width - box_w) // 2
    yield from ((right, bottom), (left, bottom), (right, top), (left, top), (centre, bottom), (centre, top))
    for step in range(1, EDGE_STEPS):
        x = left + (right - left) * step // EDGE_STEPS
        y = top + (bottom - top) * step // EDGE_STEPS
        yield from ((x, bottom), (x, top), (right, y), (left, y))


def place_watermark(size: tuple[int, int], avoid: Iterable[Box] = ()) -> tuple[Box, float]:
    """Where the badge goes on an image of `size` and at what size factor: the first clear place
    at the largest size; if none is clear even at the smallest size, the place overlapping least."""
    width, height = size
    short = min(width, height)
    margin = round(short * 0.03)
    avoid = [tuple(box) for box in avoid]
    best: tuple[int, Box, float] | None = None
    for factor in SHRINK_STEPS:
        _, box_w, box_h, *_ = _badge(short, factor)
        for x, y in _positions(width, height, box_w, box_h, margin):
            box = (x, y, x + box_w, y + box_h)
            hit = sum(
                max(0, min(box[2], b[2]) - max(box[0], b[0])) * max(0, min(box[3], b[3]) - max(box[1], b[1]))
                for b in avoid
            )
            if not hit:
                return box, factor
            if best is None or hit < best[0]:
                best = (hit, box, factor)
    if best is None:  # no position at all: an image smaller than the badge
        return (0, 0, width, height), SHRINK_STEPS[-1]
    return best[1], best[2]


def apply_watermark(image: Image.Image, *, avoid: Iterable[Box] = (), text: str = WATERMARK_TEXT) -> Image.Image:
    """A copy of `image` with the watermark badge clear of the `avoid` boxes; the input is left untouched."""
    base = image.convert("RGBA")
    (x0, y0, x1, y1), factor = place_watermark(base.size, avoid)
    font, _, box_h, pad_x, pad_y, (left, top, _, _) = _badge(min(base.size), factor)
    overlay = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    draw.rounded_rectangle((x0, y0, x1 - 1, y1 - 1), radius=box_h // 2, fill=(17, 17, 20, 150))
    draw.text((x0 + pad_x - left, y0 + pad_y - top), text, font=font, fill=(255, 255, 255, 235))
    marked = Image.alpha_composite(base, overlay)
    return marked if image.mode == "RGBA" else marked.convert(image.mode)
