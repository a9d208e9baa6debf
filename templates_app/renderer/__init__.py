"""The renderer: a design spec, a format and a user's inputs in, an ad image out. Pure Python
(Pillow with raqm for text), no database, no network."""

from templates_app.spec.formats import FONT_FAMILIES

from .draw import render_ad
from .encode import PNG_COMPRESS_LEVEL, encode_image, srgb_profile_bytes, to_srgb
from .fonts import FONTS_DIR, MAX_FONT_BYTES, FontFace, available_fonts, describe_font_file, validate_font_file
from .types import DEFAULT_BRAND_COLORS, BrandStyle, DrawnText, LayerBox, RenderInputs, RenderResult

__all__ = [
    "DEFAULT_BRAND_COLORS",
    "FONTS_DIR",
    "FONT_FAMILIES",
    "MAX_FONT_BYTES",
    "PNG_COMPRESS_LEVEL",
    "BrandStyle",
    "DrawnText",
    "FontFace",
    "LayerBox",
    "RenderInputs",
    "RenderResult",
    "available_fonts",
    "describe_font_file",
    "encode_image",
    "render_ad",
    "srgb_profile_bytes",
    "to_srgb",
    "validate_font_file",
]
