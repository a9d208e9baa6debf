"""9:16 (Stories and Reels) layouts of the shipped library use the height, keep text out of the bands
the apps cover, and photo fades blend into the layout colour (issue 12, item 3).

Measured from the layer boxes of each template's render spec (what pages and generations draw):

- every text and button layer lies inside the 9:16 safe zone (`FORMATS["9:16"].safe_box`): the top
  270 px (14 %) and the bottom 380 px (about 20 %) the apps cover, and the side margins, are free of text;
- content covers at least 70 % of the safe zone's height: the rows of the safe zone that some layer
  other than a full-canvas background fill (a plain shape or pattern over the whole canvas) covers;
  a full-canvas image (a photo) counts as content;
- the text and buttons together span at least 35 % of the safe zone's height (not a strip of words
  in an empty poster);
- from the top of the first to the bottom of the last layer that is not a plain full-canvas fill,
  content spans at least 75 % of the safe zone's height, with no gap between layers inside it
  taller than 25 % of it;
- no band of the whole canvas taller than 16 % of its height is left to the plain background: the
  bottom band the apps cover (380 px, 20 %) carries the design (a footer panel, a photo, a texture),
  not an empty strip under the button. Measured over the 44 shipped templates, the layouts that
  look designed leave at most 15 % (most 0-8 %); the ones that put their content in the upper part
  over a blank bottom left 19-22 %.

And in every format: a fade (a top-to-bottom linear gradient from transparent that reaches the bottom
edge and ends at least half opaque) ends fully opaque in the layout's background colour, so it meets
the canvas without a seam or a muddy band.
"""

import json

import pytest

from templates_app.services.library import LIBRARY_DIR
from templates_app.spec import FORMATS, complete_formats

FILES = sorted(path for path in LIBRARY_DIR.glob("*.json") if path.name != "categories.json")
STORY = FORMATS["9:16"]
MIN_CONTENT_COVER = 0.70
MIN_TEXT_SPAN = 0.35
MIN_CONTENT_EXTENT = 0.75
MAX_CONTENT_GAP = 0.25
MAX_BLANK_BAND = 0.16


def _alpha(colour: str) -> float:
    return int(colour[7:9], 16) / 255 if len(colour) == 9 else 1.0


def _story_layout(path) -> dict:
    spec, _ = complete_formats(json.loads(path.read_text())["spec"])
    return spec["formats"]["9:16"]


def _is_background_fill(layer: dict) -> bool:
    _, _, w, h = layer["box"]
    return layer["type"] in ("shape", "pattern") and w * h >= STORY.width * STORY.height * 0.9


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_story_text_stays_in_the_safe_zone_and_content_uses_the_height(path):
    layout = _story_layout(path)
    sx, sy, sw, sh = STORY.safe_box
    assert sy >= STORY.height * 0.14 - 1  # the apps' bands, as the issue gives them
    assert STORY.height - (sy + sh) >= STORY.height * 0.19
    words = [layer for layer in layout["layers"] if layer["type"] in ("text", "button")]
    assert words
    for layer in words:
        x, y, w, h = layer["box"]
        where = f"{layer['type']} {layer.get('slot')} at {layer['box']}"
        assert y >= sy, f"{where} reaches into the top band ({sy} px)"
        assert y + h <= sy + sh, f"{where} reaches into the bottom band (below {sy + sh} px)"
        assert sx <= x, f"{where} reaches into the left margin"
        assert x + w <= sx + sw, f"{where} reaches into the right margin"

    covered = [False] * sh
    for layer in layout["layers"]:
        if _is_background_fill(layer):
            continue
        _, y, _, h = layer["box"]
        for row in range(max(y, sy), min(y + h, sy + sh)):
            covered[row - sy] = True
    cover = sum(covered) / sh
    assert cover >= MIN_CONTENT_COVER, f"content covers {cover:.0%} of the safe zone's height"

    text_top = min(layer["box"][1] for layer in words)
    text_bottom = max(layer["box"][1] + layer["box"][3] for layer in words)
    span = (text_bottom - text_top) / sh
    assert span >= MIN_TEXT_SPAN, f"text and buttons span {span:.0%} of the safe zone's height"


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_fades_end_opaque_in_the_layout_colour(path):
    spec, _ = complete_formats(json.loads(path.read_text())["spec"])
    for key, layout in spec["formats"].items():
        background = layout["background"]
        for layer in layout["layers"]:
            fill = layer.get("fill")
            if layer["type"] != "shape" or not isinstance(fill, dict) or fill.get("gradient") != "linear":
                continue
            stops = fill["stops"]
            first, last = stops[0][1], stops[-1][1]
            _, y, _, h = layer["box"]
            is_fade = (
                fill.get("angle") == 180
                and first.startswith("#")
                and last.startswith("#")
                and _alpha(first) == 0
                and _alpha(last) >= 0.5
                and y + h >= FORMATS[key].height
            )
            if not is_fade:
                continue
            assert last[:7].upper() == background.upper(), f"{key}: the fade ends in {last}, not {background}"
            assert _alpha(last) == 1.0, f"{key}: the fade ends {_alpha(last):.0%} opaque"


def _is_plain_fill(layer: dict) -> bool:
    """A solid colour over (nearly) the whole canvas: the background, not design."""
    _, _, w, h = layer["box"]
    return layer["type"] == "shape" and w * h >= STORY.width * STORY.height * 0.9 and isinstance(layer.get("fill"), str)


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_story_content_fills_the_safe_zone_and_leaves_no_blank_band(path):
    layout = _story_layout(path)
    _, sy, _, sh = STORY.safe_box
    spans = sorted(
        (layer["box"][1], layer["box"][1] + layer["box"][3])
        for layer in layout["layers"]
        if not _is_background_fill(layer)
    )
    inside = [(max(top, sy), min(bottom, sy + sh)) for top, bottom in spans if bottom > sy and top < sy + sh]
    extent = (max(bottom for _, bottom in inside) - min(top for top, _ in inside)) / sh
    assert extent >= MIN_CONTENT_EXTENT, f"content spans {extent:.0%} of the safe zone's height"
    reached, widest = inside[0][1], 0
    for top, bottom in inside:
        widest = max(widest, top - reached)
        reached = max(reached, bottom)
    assert widest / sh <= MAX_CONTENT_GAP, f"a {widest} px gap between layers in the safe zone"

    covered = [False] * STORY.height
    for layer in layout["layers"]:
        if _is_plain_fill(layer):
            continue
        _, y, _, h = layer["box"]
        for row in range(max(y, 0), min(y + h, STORY.height)):
            covered[row] = True
    blank = longest = 0
    for row_covered in covered:
        blank = 0 if row_covered else blank + 1
        longest = max(longest, blank)
    assert longest / STORY.height <= MAX_BLANK_BAND, (
        f"a {longest} px band ({longest / STORY.height:.0%} of the height) shows only the plain background"
    )
