"""Issue 12, items 1 and 2: every shipped template in every format stays legible with hostile brand
colours and photos, and the free plan's watermark covers no text, button or logo.

Contrast is measured from the rendered pixels: the ad is drawn twice, with its letters and without
them (`glyphs=False`: everything else, scrims and buttons included, exactly as drawn), so each
letter's pixels are compared with what lies under them. The pixels measured are those fully inside
a glyph (their value is the text colour laid over the bare pixel at the text's opacity); anti-
aliased edges are left out (for
thin strokes that never cover a pixel fully, those at least 85 % covered are measured). The 2nd percentile of their contrast must reach the WCAG minimum for
the text's size: 4.5:1, or 3:1 for large text.
"""

import json

import numpy as np
import pytest
from PIL import Image, ImageDraw

from generations.watermark import place_watermark
from templates_app.renderer import BrandStyle, RenderInputs, render_ad
from templates_app.renderer.contrast import luminance, ratio
from templates_app.services.library import LIBRARY_DIR
from templates_app.spec import FORMAT_KEYS

FILES = sorted(path for path in LIBRARY_DIR.glob("*.json") if path.name != "categories.json")
SCALE = 0.5  # the renderer decides on the canvas it draws; half size keeps the suite quick

HOSTILE = {
    "light-on-light": {
        "primary": "#F4F1EA",
        "secondary": "#FFFFFF",
        "accent": "#FFF3C4",
        "background": "#FAFAFA",
        "text": "#EDEDED",
    },
    "dark-on-dark": {
        "primary": "#1B1B1E",
        "secondary": "#222222",
        "accent": "#3A2A1A",
        "background": "#101010",
        "text": "#1B1B1E",
    },
    "mid-grey": {
        "primary": "#808080",
        "secondary": "#8A8A8A",
        "accent": "#8B4513",
        "background": "#777777",
        "text": "#7F7F7F",
    },
}


def _busy_photo() -> Image.Image:
    """Light and dark stripes with a brown band: no single text colour reads over all of it."""
    image = Image.new("RGB", (600, 600), (139, 69, 19))
    draw = ImageDraw.Draw(image)
    for x in range(0, 600, 40):
        draw.rectangle((x, 0, x + 19, 599), fill=(245, 240, 230))
    draw.rectangle((0, 250, 599, 350), fill=(40, 30, 25))
    return image


def _photos(spec: dict) -> dict[str, Image.Image]:
    return {
        name: _busy_photo()
        for name, slot in spec["slots"].items()
        if slot["type"] == "image" and slot.get("role") != "logo"
    }


def _core_contrast(full: np.ndarray, bare: np.ndarray, text) -> np.ndarray:
    x0, y0, x1, y1 = text.ink_box
    f = full[y0:y1, x0:x1].astype(np.float64)
    b = bare[y0:y1, x0:x1].astype(np.float64)
    reach = text.opacity * (np.asarray(text.color, np.float64) - b)
    core = np.all(np.abs(f - (b + reach)) <= 2.5, axis=2)
    if core.sum() < 10:
        # Thin strokes at a small size: at least 85 % covered (a pixel's distance from full cover
        # is (1 - coverage) of the reach).
        core = np.all(np.abs(f - (b + reach)) <= np.maximum(2.5, 0.15 * np.abs(reach)), axis=2)
    return ratio(luminance(f[core]), luminance(b[core]))


def _check(spec: dict, key: str, inputs: RenderInputs, where: str) -> list[str]:
    drawn = render_ad(spec, key, inputs, scale=SCALE)
    bare = np.asarray(render_ad(spec, key, inputs, scale=SCALE, glyphs=False).image)
    full = np.asarray(drawn.image)
    failures = []
    for text in drawn.text_boxes:
        if text.ink_box is None:
            continue
        measured = _core_contrast(full, bare, text)
        if len(measured) < 10:
            failures.append(f"{where} {key} {text.slot}: only {len(measured)} glyph pixels found")
            continue
        worst = float(np.quantile(measured, 0.02))
        if worst < text.min_ratio - 0.05:
            failures.append(f"{where} {key} {text.slot}: {worst:.2f}:1 < {text.min_ratio}:1")
    return failures


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_every_text_meets_its_wcag_contrast_with_hostile_palettes_and_photos(path):
    spec = json.loads(path.read_text())["spec"]
    failures = []
    for key in FORMAT_KEYS:
        for name, colours in HOSTILE.items():
            failures += _check(spec, key, RenderInputs(brand=BrandStyle(colors=colours)), name)
        failures += _check(spec, key, RenderInputs(images=_photos(spec)), "busy photo")
    assert not failures, "\n".join(failures)


def test_a_failing_button_colour_is_replaced_and_the_change_is_reported():
    spec = json.loads((LIBRARY_DIR / "restaurant-fresh-pasta.json").read_text())["spec"]
    # The case: dark text (#1B1B1E) on a #8B4513 button.
    brand = BrandStyle(colors={"primary": "#8B4513", "accent": "#8B4513", "text": "#1B1B1E", "secondary": "#1B1B1E"})
    drawn = render_ad(spec, "1:1", RenderInputs(brand=brand), scale=SCALE)
    assert drawn.adjustments, "a 2.4:1 button text must be changed"
    assert any("for legibility" in note for note in drawn.adjustments)


def test_a_passing_palette_is_left_as_the_designer_chose_it():
    spec = {
        "version": 1,
        "slots": {"headline": {"type": "text", "label": "Headline", "default": "Hello there"}},
        "formats": {
            "1:1": {
                "background": "#FFFFFF",
                "layers": [
                    {
                        "type": "text",
                        "slot": "headline",
                        "box": [100, 100, 880, 200],
                        "color": "#1B1B1E",
                        "size": [40, 80],
                    }
                ],
            }
        },
    }
    drawn = render_ad(spec, "1:1", scale=SCALE)
    assert drawn.adjustments == []
    assert drawn.text_boxes[0].color == (0x1B, 0x1B, 0x1E)


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_the_watermark_covers_no_text_button_or_logo_in_any_format(path):
    spec = json.loads(path.read_text())["spec"]
    logo = Image.new("RGB", (300, 120), (200, 30, 30))
    for key in FORMAT_KEYS:
        drawn = render_ad(spec, key, RenderInputs(brand=BrandStyle(logo=logo)), scale=SCALE)
        boxes = [box.box for box in drawn.layer_boxes]
        assert {box.kind for box in drawn.layer_boxes} >= {"text"}
        mark, _ = place_watermark(drawn.image.size, boxes)
        hits = [box for box in drawn.layer_boxes if _overlap(mark, box.box)]
        assert not hits, f"{key}: the watermark {mark} covers {hits}"


def test_the_watermark_keeps_its_corner_when_it_is_free_and_moves_when_it_is_not():
    free, factor = place_watermark((1080, 1080), [])
    assert (free[2] > 1000, free[3] > 1000, factor) == (True, True, 1.0)  # bottom right, full size
    taken, _ = place_watermark((1080, 1080), [(700, 950, 1080, 1080)])
    assert not _overlap(taken, (700, 950, 1080, 1080))
    assert taken[0] < 100  # bottom left, the next corner


def test_palette_variants_are_drawn_only_from_legible_orders_of_the_brand_colours():
    from templates_app.renderer.palettes import failures, legible_rotations

    spec = {
        "version": 1,
        "slots": {"cta": {"type": "text", "label": "Button", "default": "Order now"}},
        "formats": {
            "1:1": {
                "background": "brand.background",
                "layers": [
                    {
                        "type": "button",
                        "slot": "cta",
                        "box": [300, 800, 480, 120],
                        "fill": "brand.primary",
                        "color": "brand.secondary",
                        "size": [24, 44],
                    }
                ],
            }
        },
    }
    brand = {
        "primary": "#1E5AA8",
        "secondary": "#FFFFFF",
        "accent": "#1B1B1E",
        "background": "#FFFFFF",
        "text": "#1B1B1E",
    }
    rotations = ((2, 1, 0), (1, 0, 2), (0, 2, 1))
    # (accent, secondary, primary): dark button, white text: fine. (secondary, primary, accent):
    # white button with blue text: fine. (primary, accent, secondary): blue button, near-black text: 2.5:1.
    assert failures(spec, {**brand, "primary": "#1E5AA8", "secondary": "#1B1B1E"}) == 1
    assert legible_rotations(spec, brand, rotations) == [0, 1]


@pytest.mark.parametrize("key", ["9:16", "4:5"])
def test_tall_formats_keep_text_inside_the_safe_zone_and_use_the_height(key):
    """Issue 12, item 3: in 9:16 no text or button in the top 14 % or the bottom 20 % (the Stories
    and Reels interface), and in both tall formats no empty band across the height."""
    from templates_app.spec import FORMATS

    fmt = FORMATS[key]
    _, top, _, height = fmt.safe_box
    problems = []
    for path in FILES:
        spec = json.loads(path.read_text())["spec"]
        drawn = render_ad(spec, key, scale=1.0)
        boxes = [box for box in drawn.layer_boxes if box.kind in ("text", "button")]
        for box in boxes:
            if box.box[1] < top or box.box[3] > top + height:
                problems.append(f"{path.stem} {box.slot} {box.box} outside {fmt.safe_box}")
        # No empty band: the longest run of rows drawn in one flat colour is under a quarter of
        # the height (a photo slot without its photo shows its placeholder, as in the gallery).
        pixels = np.asarray(drawn.image.reduce(4), np.int16)
        flat = (pixels.max(axis=1) - pixels.min(axis=1)).max(axis=1) <= 4
        longest = run = 0
        for row_is_flat in flat:
            run = run + 1 if row_is_flat else 0
            longest = max(longest, run)
        if longest >= len(flat) * 0.25:
            problems.append(f"{path.stem}: an empty band {longest / len(flat):.0%} of the height")
    assert not problems, "\n".join(problems)


def test_a_users_ad_leaves_out_the_templates_sample_product_art_unless_a_photo_is_given():
    """Issue 12, item 4: the pasta plate illustrates the gallery thumbnail, never a user's ad."""
    spec = json.loads((LIBRARY_DIR / "restaurant-fresh-pasta.json").read_text())["spec"]
    thumbnail = np.asarray(render_ad(spec, "1:1", scale=SCALE).image, np.int16)
    ad = np.asarray(render_ad(spec, "1:1", RenderInputs(sample_art=False), scale=SCALE).image, np.int16)
    # The plate (a light disc around (700, 320) at full size) is gone; the texts are as they were.
    assert thumbnail[160, 350].min() > 200
    assert ad[160, 350].min() < 120
    assert np.array_equal(thumbnail[330:], ad[330:])
    photo = Image.new("RGB", (800, 800), (200, 120, 40))
    with_photo = RenderInputs(images={"photo": photo}, sample_art=False)
    assert np.array_equal(
        np.asarray(render_ad(spec, "1:1", with_photo, scale=SCALE).image),
        np.asarray(render_ad(spec, "1:1", RenderInputs(images={"photo": photo}), scale=SCALE).image),
    )
