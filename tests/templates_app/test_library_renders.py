"""Issue 3, acceptance 1: every shipped template renders in all four formats with its default
content and with long, short, non-Latin and right-to-left inputs, with no text outside its box.

Pure: the renderer and the JSON files, no database. Each text is checked by the box its glyphs
cover (`DrawnText.ink_box`, exactly the pixels drawn) against the layout box of its layer.

Every input runs with the default brand fonts; the non-Latin and right-to-left ones also run with
each of the other bundled brand fonts. Not every template with every font (that would be ten times
the renders): each template gets its own heading and body font, in turn, so every family is the
heading font of four or five templates and the body font of as many others, in all four formats.
"""

import json
from collections import Counter

import pytest

from templates_app.constants import CampaignType
from templates_app.renderer import FONT_FAMILIES, BrandStyle, RenderInputs, render_ad
from templates_app.services.library import LIBRARY_DIR
from templates_app.spec import FORMAT_KEYS, complete_formats, lint_layout, validate_spec

FILES = sorted(path for path in LIBRARY_DIR.glob("*.json") if path.name != "categories.json")
CATEGORIES = {entry["slug"] for entry in json.loads((LIBRARY_DIR / "categories.json").read_text())["categories"]}


def _fill(text: str, limit: int) -> str:
    """`text` repeated (word by word) up to `limit` characters: the longest input the slot accepts."""
    words, out = text.split(), ""
    while True:
        for word in words:
            candidate = f"{out} {word}".strip()
            if len(candidate) > limit:
                return out or word[:limit]
            out = candidate


INPUTS = {
    "default": None,
    "long": "Wwwwwww Mmmmmmm",
    "short": "Go",
    "cyrillic": "Специальное предложение для всех клиентов",
    "greek": "Προσφορά για όλα τα προϊόντα",
    "arabic": "عرض خاص على جميع المنتجات",
    "hebrew": "מבצע מיוחד לכל המוצרים",
}


NON_LATIN = ("cyrillic", "greek", "arabic", "hebrew")
DEFAULT_FONT = BrandStyle().heading_font
OTHER_FONTS = [family for family in FONT_FAMILIES if family != DEFAULT_FONT]


def _brand_fonts(index: int) -> BrandStyle:
    """The heading and body fonts of the `index`th template: two different families, each in turn."""
    count = len(OTHER_FONTS)
    return BrandStyle(heading_font=OTHER_FONTS[index % count], body_font=OTHER_FONTS[(index + count // 2) % count])


def _texts(spec: dict, kind: str) -> dict[str, str]:
    if INPUTS[kind] is None:
        return {}
    return {
        name: _fill(INPUTS[kind], slot.get("max_chars", 100)) if kind != "short" else INPUTS[kind]
        for name, slot in spec["slots"].items()
        if slot["type"] == "text"
    }


def _inside(inner, outer) -> bool:
    return inner[0] >= outer[0] and inner[1] >= outer[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def test_the_library_is_as_large_and_varied_as_promised():
    documents = [json.loads(path.read_text()) for path in FILES]
    assert len(documents) >= 40
    assert len({doc["industry"] for doc in documents}) >= 8
    assert len({doc["style"] for doc in documents}) >= 4
    campaign_types = Counter(doc["campaign_type"] for doc in documents)
    for kind in ("sales", "lead_generation", "brand_awareness", "event_promotion", "app_installs", "retargeting"):
        assert campaign_types[kind] >= 1, kind
    assert set(campaign_types) <= set(CampaignType.values)
    for doc in documents:
        assert doc["categories"], doc["slug"]
        assert set(doc["categories"]) <= CATEGORIES, doc["slug"]


def _assert_inside_its_boxes(spec: dict, format_key: str, kind: str, brand: BrandStyle, where: tuple) -> None:
    result = render_ad(spec, format_key, RenderInputs(texts=_texts(spec, kind), brand=brand))
    assert result.text_boxes, where
    for drawn in result.text_boxes:
        assert drawn.ink_box is not None, (*where, drawn.slot)
        assert _inside(drawn.ink_box, drawn.layout_box), (*where, drawn.slot, drawn.font_family, drawn.ink_box)
    if kind in {"arabic", "hebrew"}:
        assert {drawn.direction for drawn in result.text_boxes} == {"rtl"}, where


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_every_shipped_template_renders_every_format_with_every_kind_of_input_inside_its_boxes(path):
    spec = validate_spec(json.loads(path.read_text())["spec"])
    complete, _ = complete_formats(spec)
    assert set(complete["formats"]) == set(FORMAT_KEYS)
    for format_key in FORMAT_KEYS:
        assert lint_layout(spec, format_key) == [], (path.stem, format_key)
        for kind in INPUTS:
            _assert_inside_its_boxes(spec, format_key, kind, BrandStyle(), (path.stem, format_key, kind))


def test_the_other_brand_fonts_take_turns_as_heading_and_body_fonts():
    styles = [_brand_fonts(index) for index in range(len(FILES))]
    assert all(style.heading_font != style.body_font for style in styles)
    for family in OTHER_FONTS:
        assert sum(style.heading_font == family for style in styles) >= 4, family
        assert sum(style.body_font == family for style in styles) >= 4, family


@pytest.mark.parametrize(("index", "path"), list(enumerate(FILES)), ids=[path.stem for path in FILES])
def test_non_latin_and_right_to_left_inputs_stay_inside_their_boxes_with_the_other_brand_fonts(index, path):
    spec = validate_spec(json.loads(path.read_text())["spec"])
    brand = _brand_fonts(index)
    for format_key in FORMAT_KEYS:
        for kind in NON_LATIN:
            where = (path.stem, format_key, kind, brand.heading_font, brand.body_font)
            _assert_inside_its_boxes(spec, format_key, kind, brand, where)
