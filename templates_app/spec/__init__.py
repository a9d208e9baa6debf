"""The design-spec format (docs/design-spec.md): formats, validation, adaptation, linting. Pure Python."""

from .adapt import adapt_layout, complete_formats, nearest_format
from .formats import (
    BRAND_COLOR_KEYS,
    BRAND_COLOR_TOKENS,
    BRAND_FONT_TOKENS,
    FONT_FAMILIES,
    FORMAT_KEYS,
    FORMATS,
    IMAGE_ROLES,
    LAYER_TYPES,
    PATTERNS,
    SHAPES,
    SLOT_TYPES,
    SPEC_VERSION,
    Format,
)
from .lint import SpecWarning, lint_format_layout, lint_layout
from .order import ordered_slot_names
from .schema import validate_spec
from .slots import needs_product_photo, product_photo_slots

__all__ = [
    "BRAND_COLOR_KEYS",
    "BRAND_COLOR_TOKENS",
    "BRAND_FONT_TOKENS",
    "FONT_FAMILIES",
    "FORMATS",
    "FORMAT_KEYS",
    "IMAGE_ROLES",
    "LAYER_TYPES",
    "PATTERNS",
    "SHAPES",
    "SLOT_TYPES",
    "SPEC_VERSION",
    "Format",
    "SpecWarning",
    "adapt_layout",
    "complete_formats",
    "lint_format_layout",
    "lint_layout",
    "nearest_format",
    "needs_product_photo",
    "ordered_slot_names",
    "product_photo_slots",
    "validate_spec",
]
