"""The ad formats a design spec lays out, and the vocabulary of the spec (docs/design-spec.md)."""

from dataclasses import dataclass

Box = tuple[int, int, int, int]  # x, y, width, height in canvas pixels


@dataclass(frozen=True)
class Format:
    """One ad format: its canvas and the safe zone where text and the call to action belong."""

    key: str
    width: int
    height: int
    label: str
    safe_box: Box

    @property
    def aspect(self) -> float:
        return self.width / self.height

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)


FORMATS: dict[str, Format] = {
    "1:1": Format("1:1", 1080, 1080, "Square 1:1 (feed)", (40, 40, 1000, 1000)),
    "4:5": Format("4:5", 1080, 1350, "Portrait 4:5 (feed)", (40, 40, 1000, 1270)),
    # Stories and Reels cover the top 270 px and the bottom 380 px with their interface.
    "9:16": Format("9:16", 1080, 1920, "Vertical 9:16 (Stories, Reels)", (60, 270, 960, 1270)),
    "16:9": Format("16:9", 1920, 1080, "Landscape 16:9", (40, 40, 1840, 1000)),
}
FORMAT_KEYS: tuple[str, ...] = tuple(FORMATS)

# The bundled font families (templates_app/fonts/); the brand kit offers exactly these
# (accounts.constants.BRAND_FONTS), and a spec may name any of them or brand.heading / brand.body.
FONT_FAMILIES: list[str] = [
    "Inter",
    "Roboto",
    "Lato",
    "Montserrat",
    "Playfair Display",
    "Oswald",
    "Noto Sans",
    "Noto Serif",
    "Noto Sans Arabic",
    "Noto Sans Hebrew",
]
BRAND_FONT_TOKENS = ("brand.heading", "brand.body")
BRAND_COLOR_KEYS = ("primary", "secondary", "accent", "background", "text")
BRAND_COLOR_TOKENS = tuple(f"brand.{key}" for key in BRAND_COLOR_KEYS)

SLOT_TYPES = ("text", "image", "color")
IMAGE_ROLES = ("logo", "product", "background", "person", "other")
LAYER_TYPES = ("shape", "pattern", "image", "text", "button")
SHAPES = ("rect", "rounded_rect", "circle", "ellipse")
PATTERNS = ("dots", "stripes", "grid", "waves", "zigzag", "confetti", "halftone")
IMAGE_FITS = ("cover", "contain")
IMAGE_SHAPES = ("rect", "circle")
ALIGNS = ("left", "center", "right")
VALIGNS = ("top", "middle", "bottom")
TRANSFORMS = ("none", "upper")
ALIGN_RTL = ("keep", "mirror")
SPEC_VERSION = 1
