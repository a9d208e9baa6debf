"""Legible text: WCAG 2.2 contrast between a text's colour and the pixels actually under its glyphs.

Before a text is drawn, the renderer samples the canvas under the glyph mask (everything drawn so
far: background, photos, shapes, the button's fill) and checks the text colour against it:

- 4.5:1 for body text, 3:1 for large text (WCAG: at least 24 px, or 18.66 px and bold, at the
  output size of the design, 1080 px on the short side);
- a photo or gradient has many luminances, so the check is against the darkest and lightest of
  them, ignoring the 1 % extremes at each end (a single sparkle does not force a scrim);
- a failing colour is replaced by the nearest passing one: the same hue made lighter or darker in
  Oklab (smallest change of lightness), white or black at the end of that road;
- when no colour passes (a busy photo with both light and dark parts under the text), a scrim (a
  dark or light translucent panel) goes behind the text, as dense as needed, and the colour is
  chosen again against the scrimmed pixels.

Every change is reported in words a user understands ("button text darkened for legibility").
"""

from dataclasses import dataclass

import numpy as np
from PIL import Image

from .paint import RGBA, _from_oklab, _oklab

BODY_RATIO = 4.5
LARGE_RATIO = 3.0
LARGE_PX = 24.0
LARGE_BOLD_PX = 18.66
BOLD_WEIGHT = 700
# The share of glyph pixels whose background may be ignored at each end of the luminance range.
TAIL = 0.01
MAX_SAMPLES = 6000
# A scrim's opacity steps; it reaches the densest before giving up on the original colour.
SCRIM_ALPHAS = (0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.92)
DARK_SCRIM = (12, 12, 14)
# Aimed above the minimum: 8-bit blending of anti-aliased and translucent text rounds a little.
MARGIN = 0.15
LIGHT_SCRIM = (250, 250, 250)


def required_ratio(font_px: float, weight: int) -> float:
    """The WCAG minimum for text of this size (in design pixels) and weight."""
    large = font_px >= LARGE_PX or (font_px >= LARGE_BOLD_PX and weight >= BOLD_WEIGHT)
    return LARGE_RATIO if large else BODY_RATIO


def _reaches(value: float, needed: float) -> bool:
    return value >= needed + MARGIN


def luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG relative luminance of sRGB values (..., 3) in 0..255."""
    c = rgb.astype(np.float64) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return lin[..., 0] * 0.2126 + lin[..., 1] * 0.7152 + lin[..., 2] * 0.0722


def ratio(l1: np.ndarray | float, l2: np.ndarray | float) -> np.ndarray | float:
    hi, lo = np.maximum(l1, l2), np.minimum(l1, l2)
    return (hi + 0.05) / (lo + 0.05)


def glyph_background(canvas: Image.Image, mask: Image.Image, at: tuple[int, int]) -> np.ndarray | None:
    """The canvas pixels (N, 3) under the glyphs (mask at least half covered), subsampled."""
    left, top = at
    x0, y0 = max(0, left), max(0, top)
    x1, y1 = min(canvas.width, left + mask.width), min(canvas.height, top + mask.height)
    if x1 <= x0 or y1 <= y0:
        return None
    under = np.asarray(canvas.crop((x0, y0, x1, y1)))
    cover = np.asarray(mask.crop((x0 - left, y0 - top, x1 - left, y1 - top))) >= 128
    pixels = under[cover]
    if not len(pixels):
        return None
    if len(pixels) > MAX_SAMPLES:
        pixels = pixels[:: len(pixels) // MAX_SAMPLES + 1]
    return pixels


def worst_ratio(colour: tuple[int, int, int], opacity: float, background: np.ndarray) -> float:
    """The contrast the text reaches over all but the TAIL share of its background on each side.

    With opacity below 1 a glyph's pixel is a mix of the colour and what is under it (as painted)."""
    bg = background.astype(np.float64)
    ink = bg * (1 - opacity) + np.asarray(colour, np.float64) * opacity if opacity < 1 else None
    lb = luminance(bg)
    lt = luminance(np.rint(ink)) if ink is not None else float(luminance(np.asarray(colour)))
    return float(np.quantile(ratio(lt, lb), TAIL))


@dataclass(frozen=True)
class Choice:
    colour: tuple[int, int, int]
    change: str  # "", "darkened", "lightened"


def _candidates(colour: tuple[int, int, int]) -> list[tuple[float, tuple[int, int, int]]]:
    """The colour at every Oklab lightness (same hue, chroma kept where sRGB can show it), by
    distance from its own lightness, then white and black."""
    lightness, a, b = _oklab((*colour, 255))
    out = []
    for step in range(1, 101):
        target = step / 100
        rgb = _from_oklab((target, a, b))
        out.append((abs(target - lightness), rgb))
    out.sort(key=lambda item: item[0])
    out += [(2.0, (255, 255, 255)), (2.0, (0, 0, 0))]
    return out


def nearest_passing(
    colour: tuple[int, int, int], opacity: float, background: np.ndarray, needed: float
) -> Choice | None:
    """The colour itself when it passes, else the nearest lighter or darker one that does; None
    when none does (the background spans too wide a range of luminance)."""
    if _reaches(worst_ratio(colour, opacity, background), needed):
        return Choice(colour, "")
    own = float(luminance(np.asarray(colour)))
    for _, candidate in _candidates(colour):
        if _reaches(worst_ratio(candidate, 1.0, background), needed):
            darker = float(luminance(np.asarray(candidate))) < own
            return Choice(candidate, "darkened" if darker else "lightened")
    return None


def scrimmed(background: np.ndarray, scrim: tuple[int, int, int], alpha: float) -> np.ndarray:
    """The background as it is after a scrim of `alpha` is pasted over it (as Pillow blends)."""
    return np.rint(background * (1 - alpha) + np.asarray(scrim, np.float64) * alpha)


def choose_scrim(
    colour: tuple[int, int, int], background: np.ndarray, needed: float
) -> tuple[tuple[int, int, int], float, Choice]:
    """A scrim (colour and opacity) and the text colour that then passes. A light text gets a dark
    scrim and a dark text a light one, as light as the text can keep its own colour."""
    dark_text = float(luminance(np.asarray(colour))) < 0.18
    scrim = LIGHT_SCRIM if dark_text else DARK_SCRIM
    for alpha in SCRIM_ALPHAS:
        covered = scrimmed(background.astype(np.float64), scrim, alpha)
        if _reaches(worst_ratio(colour, 1.0, covered), needed):
            return scrim, alpha, Choice(colour, "")
    alpha = SCRIM_ALPHAS[-1]
    covered = scrimmed(background.astype(np.float64), scrim, alpha)
    choice = nearest_passing(colour, 1.0, covered, needed)
    if choice is None:  # cannot happen with a 92 % scrim, but never draw illegible text
        alpha = 1.0
        choice = Choice((0, 0, 0) if dark_text else (255, 255, 255), "darkened" if dark_text else "lightened")
    return scrim, alpha, choice


def as_rgba(colour: tuple[int, int, int]) -> RGBA:
    return (*colour, 255)
