"""What goes into a render and what comes out."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike

from PIL import Image

from templates_app.spec.lint import SpecWarning

# The same palette as accounts.constants.DEFAULT_PALETTE (a brand kit nobody has edited yet);
# copied so the renderer stays importable without Django.
DEFAULT_BRAND_COLORS = {
    "primary": "#2E86AB",
    "secondary": "#F8F9FA",
    "accent": "#F18F01",
    "background": "#FFFFFF",
    "text": "#1B1B1E",
}

BBox = tuple[int, int, int, int]  # left, top, right, bottom in output pixels (right/bottom exclusive)


@dataclass(frozen=True)
class BrandStyle:
    """The brand kit as the renderer sees it: colours (primary, secondary, accent, background, text),
    the heading and body font families, and the logo (used by image slots with role 'logo' when no
    image is given for them)."""

    colors: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_BRAND_COLORS))
    heading_font: str = "Inter"
    body_font: str = "Inter"
    logo: Image.Image | None = None

    @classmethod
    def default(cls) -> "BrandStyle":
        return cls()


@dataclass(frozen=True)
class RenderInputs:
    """A user's inputs: texts and images by slot name, colours by colour slot name, the brand kit,
    and uploaded brand fonts (family -> font file, or family -> {weight: font file})."""

    texts: Mapping[str, str] = field(default_factory=dict)
    images: Mapping[str, Image.Image] = field(default_factory=dict)
    colors: Mapping[str, str] = field(default_factory=dict)
    brand: BrandStyle = field(default_factory=BrandStyle.default)
    extra_fonts: Mapping[str, str | PathLike | Mapping[int, str | PathLike]] = field(default_factory=dict)
    # A template's illustrative product art (the shapes drawn where a product photo goes, under
    # it) shows while no product image is given: True for gallery thumbnails; False for a
    # user's ad and its preview, which show exactly what the user gave (issue 12).
    sample_art: bool = True


@dataclass(frozen=True)
class DrawnText:
    """One text drawn: its layout box (the layer's box, or a button's box less its padding) and the
    box its glyphs actually cover (exactly the pixels drawn: measured on the rasterised text), both
    as (left, top, right, bottom) in output pixels; the fitted size in spec pixels (as at scale 1);
    the lines as wrapped (logical order); the direction; and the family actually used (after
    fallback for scripts the chosen font lacks)."""

    slot: str
    layer_index: int
    layout_box: BBox
    ink_box: BBox | None
    font_size: float
    lines: list[str]
    direction: str
    font_family: str = ""
    color: tuple[int, int, int] = (0, 0, 0)  # the colour drawn (after any change for legibility)
    min_ratio: float = 4.5  # the WCAG contrast this text needs (4.5 body, 3 large)
    opacity: float = 1.0


@dataclass(frozen=True)
class LayerBox:
    """What an overlay (the watermark) must keep clear of: a text's ink, a button, a logo."""

    kind: str  # "text", "button" or "logo"
    slot: str
    box: BBox


@dataclass(frozen=True)
class RenderResult:
    image: Image.Image
    text_boxes: list[DrawnText]
    warnings: list[SpecWarning]
    # Boxes an overlay must not cover, and what was changed so every text stays legible
    # ("Button text darkened for legibility"), in drawing order.
    layer_boxes: list[LayerBox] = field(default_factory=list)
    adjustments: list[str] = field(default_factory=list)
