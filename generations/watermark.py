"""The free plan's watermark: a small "Made with CraftAds" badge in the bottom-right corner.

Drawn after the ad is rendered, above everything, at a size proportional to the image so it reads
the same in every format. Deterministic like the renderer.
"""

from functools import cache

from PIL import Image, ImageDraw, ImageFont

from templates_app.renderer import available_fonts

WATERMARK_TEXT = "Made with CraftAds"


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    faces = available_fonts()["Inter"]
    weight = 600 if 600 in faces else max(faces)
    return ImageFont.truetype(str(faces[weight]), size)


def apply_watermark(image: Image.Image, *, text: str = WATERMARK_TEXT) -> Image.Image:
    """A copy of `image` with the watermark badge; the input is left untouched."""
    base = image.convert("RGBA")
    width, height = base.size
    short = min(width, height)
    size = max(12, round(short * 0.026))
    margin = round(short * 0.03)
    pad_x, pad_y = round(size * 0.8), round(size * 0.45)
    font = _font(size)
    left, top, right, bottom = font.getbbox(text)
    box_w, box_h = right - left + 2 * pad_x, bottom - top + 2 * pad_y
    x0, y0 = width - margin - box_w, height - margin - box_h

    overlay = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    draw.rounded_rectangle((x0, y0, x0 + box_w, y0 + box_h), radius=box_h // 2, fill=(17, 17, 20, 150))
    draw.text((x0 + pad_x - left, y0 + pad_y - top), text, font=font, fill=(255, 255, 255, 235))
    marked = Image.alpha_composite(base, overlay)
    return marked if image.mode == "RGBA" else marked.convert(image.mode)
