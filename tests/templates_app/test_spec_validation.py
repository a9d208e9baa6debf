"""Design-spec validation, format adaptation and layout lint (templates_app.spec): pure, no database."""

import copy

import pytest

from templates_app.errors import TemplateSpecError
from templates_app.spec import (
    FONT_FAMILIES,
    FORMAT_KEYS,
    FORMATS,
    SpecWarning,
    complete_formats,
    lint_layout,
    ordered_slot_names,
    validate_spec,
)


def make_spec() -> dict:
    """The example of docs/design-spec.md, plus a body text and a logo."""
    return {
        "version": 1,
        "slots": {
            "headline": {"type": "text", "label": "Headline", "default": "Summer sale", "max_chars": 40},
            "body": {
                "type": "text",
                "label": "Details",
                "default": "Up to 50% off",
                "max_chars": 90,
                "required": False,
            },
            "cta": {"type": "text", "label": "Button", "default": "Shop now", "max_chars": 18},
            "logo": {"type": "image", "label": "Logo", "role": "logo"},
            "photo": {"type": "image", "label": "Product photo", "role": "product"},
            "accent": {"type": "color", "label": "Accent colour", "default": "brand.accent"},
        },
        "formats": {
            "1:1": {
                "background": "brand.background",
                "layers": [
                    {
                        "type": "shape",
                        "shape": "rect",
                        "box": [0, 0, 1080, 1080],
                        "fill": {
                            "gradient": "linear",
                            "angle": 135,
                            "stops": [[0, "brand.primary"], [1, "slot.accent"]],
                        },
                    },
                    {
                        "type": "image",
                        "slot": "photo",
                        "box": [540, 120, 480, 600],
                        "fit": "cover",
                        "focal": [0.5, 0.4],
                        "radius": 32,
                    },
                    {
                        "type": "text",
                        "slot": "headline",
                        "box": [72, 140, 440, 300],
                        "font": "brand.heading",
                        "weight": 800,
                        "size": [56, 110],
                        "line_height": 1.05,
                        "max_lines": 3,
                        "color": "#FFFFFF",
                    },
                    {"type": "text", "slot": "body", "box": [72, 480, 440, 160], "font": "Inter", "size": [28, 40]},
                    {
                        "type": "button",
                        "slot": "cta",
                        "box": [72, 860, 360, 110],
                        "font": "brand.body",
                        "weight": 700,
                        "size": [28, 44],
                        "fill": "slot.accent",
                        "color": "#FFFFFF",
                        "radius": 55,
                    },
                    {"type": "image", "slot": "logo", "box": [820, 900, 200, 120], "fit": "contain"},
                ],
            }
        },
    }


def problems_of(spec: dict) -> dict[str, str]:
    with pytest.raises(TemplateSpecError) as caught:
        validate_spec(spec)
    assert caught.value.problems, "a refused spec names its problems"
    assert all(path in caught.value.message for path, _ in caught.value.problems if path)
    return dict(caught.value.problems)


def layer(spec: dict, index: int) -> dict:
    return spec["formats"]["1:1"]["layers"][index]


# -- formats -----------------------------------------------------------------------------------


def test_formats_are_the_four_meta_placements_in_order():
    assert list(FORMATS) == ["1:1", "4:5", "9:16", "16:9"]
    assert FORMAT_KEYS == ("1:1", "4:5", "9:16", "16:9")
    assert [(f.width, f.height) for f in FORMATS.values()] == [(1080, 1080), (1080, 1350), (1080, 1920), (1920, 1080)]
    assert FORMATS["9:16"].safe_box == (60, 270, 960, 1270)
    assert FORMATS["1:1"].safe_box == (40, 40, 1000, 1000)


# -- a valid spec ------------------------------------------------------------------------------


def test_valid_spec_is_normalised_with_defaults():
    spec = make_spec()
    normalised = validate_spec(spec)

    headline = layer(normalised, 2)
    assert headline["align"] == "left"
    assert headline["valign"] == "top"
    assert headline["opacity"] == 1
    assert headline["letter_spacing"] == 0
    body = layer(normalised, 3)
    assert body["line_height"] == 1.2
    assert body["max_lines"] == 3
    assert body["color"] == "brand.text"
    button = layer(normalised, 4)
    assert button["padding"] == [32, 16]
    assert normalised["slots"]["logo"]["required"] is False
    assert normalised["slots"]["headline"]["required"] is True
    assert spec == make_spec(), "the input is not modified"


def test_validation_is_idempotent():
    once = validate_spec(make_spec())
    assert validate_spec(copy.deepcopy(once)) == once


def test_null_means_absent():
    spec = make_spec()
    layer(spec, 2)["color"] = None
    layer(spec, 4)["radius"] = None
    normalised = validate_spec(spec)
    assert layer(normalised, 2)["color"] == "brand.text"
    assert layer(normalised, 4)["radius"] is None, "a pill button"


def test_colours_are_upper_cased_and_alpha_is_allowed():
    spec = make_spec()
    layer(spec, 2)["color"] = "#ffffffcc"
    assert layer(validate_spec(spec), 2)["color"] == "#FFFFFFCC"


@pytest.mark.parametrize("font", [*FONT_FAMILIES, "brand.heading", "brand.body"])
def test_every_bundled_family_and_brand_font_is_valid(font):
    spec = make_spec()
    layer(spec, 2)["font"] = font
    assert layer(validate_spec(spec), 2)["font"] == font


# -- faults, each named by its path ------------------------------------------------------------


def test_broken_layer_unknown_type():
    spec = make_spec()
    layer(spec, 0)["type"] = "blob"
    problems = problems_of(spec)
    assert "Unknown layer type 'blob'" in problems["formats.1:1.layers[0].type"]


def test_broken_layer_missing_box_and_wrong_types():
    spec = make_spec()
    del layer(spec, 2)["box"]
    layer(spec, 3)["size"] = "big"
    layer(spec, 3)["max_lines"] = 2.5
    layer(spec, 4)["weight"] = "bold"
    problems = problems_of(spec)
    assert "needs a box" in problems["formats.1:1.layers[2].box"]
    assert "[min, max]" in problems["formats.1:1.layers[3].size"]
    assert "whole number" in problems["formats.1:1.layers[3].max_lines"]
    assert "whole number" in problems["formats.1:1.layers[4].weight"]


def test_misspelt_key_is_refused():
    spec = make_spec()
    layer(spec, 2)["max_line"] = 2
    assert "Unknown key 'max_line'" in problems_of(spec)["formats.1:1.layers[2].max_line"]


def test_unknown_font_lists_the_choices():
    spec = make_spec()
    layer(spec, 2)["font"] = "Comic Sans"
    message = problems_of(spec)["formats.1:1.layers[2].font"]
    assert "Unknown font 'Comic Sans'" in message
    for family in [*FONT_FAMILIES, "brand.heading", "brand.body"]:
        assert f"'{family}'" in message


def test_layer_naming_a_missing_slot():
    spec = make_spec()
    layer(spec, 2)["slot"] = "title"
    message = problems_of(spec)["formats.1:1.layers[2].slot"]
    assert "'title' is not defined" in message
    assert "'headline'" in message


def test_layer_naming_a_slot_of_the_wrong_type():
    spec = make_spec()
    layer(spec, 1)["slot"] = "headline"
    layer(spec, 2)["slot"] = "photo"
    problems = problems_of(spec)
    assert "is a text slot; this layer needs a image slot" in problems["formats.1:1.layers[1].slot"]
    assert "is a image slot; this layer needs a text slot" in problems["formats.1:1.layers[2].slot"]


def test_box_off_the_canvas():
    spec = make_spec()
    layer(spec, 1)["box"] = [900, 120, 480, 600]
    layer(spec, 3)["box"] = [-10, 1000, 100, 100]
    problems = problems_of(spec)
    assert "runs off the 1080 x 1080 canvas (right edge at 1380 > 1080)" in problems["formats.1:1.layers[1].box"]
    assert "left edge at -10 < 0" in problems["formats.1:1.layers[3].box"]
    assert "bottom edge at 1100 > 1080" in problems["formats.1:1.layers[3].box"]


def test_box_with_no_area():
    spec = make_spec()
    layer(spec, 1)["box"] = [0, 0, 0, 100]
    assert "width and height above 0" in problems_of(spec)["formats.1:1.layers[1].box"]


@pytest.mark.parametrize("colour", ["red", "#FFF", "#GGGGGG", "brand.tertiary", 12, ["#FFFFFF"]])
def test_bad_colours(colour):
    spec = make_spec()
    layer(spec, 2)["color"] = colour
    assert "colour" in problems_of(spec)["formats.1:1.layers[2].color"].lower()


def test_unknown_colour_slot_reference():
    spec = make_spec()
    layer(spec, 4)["fill"] = "slot.highlight"
    layer(spec, 2)["color"] = "slot.headline"
    problems = problems_of(spec)
    assert "'slot.highlight' names no slot" in problems["formats.1:1.layers[4].fill"]
    assert "'accent'" in problems["formats.1:1.layers[4].fill"]
    assert "is a text slot, not a colour slot" in problems["formats.1:1.layers[2].color"]


def test_bad_gradient_stops():
    spec = make_spec()
    layer(spec, 0)["fill"] = {"gradient": "linear", "stops": [[0.5, "#000000"], [0.2, "brand.nope"]]}
    with pytest.raises(TemplateSpecError) as caught:
        validate_spec(spec)
    messages = [message for path, message in caught.value.problems if path == "formats.1:1.layers[0].fill.stops[1]"]
    assert len(messages) == 2
    assert "Unknown brand colour 'brand.nope'" in messages[0]
    assert "must not decrease" in messages[1]
    layer(spec, 0)["fill"] = {"gradient": "conic", "stops": []}
    assert "Unknown gradient 'conic'" in problems_of(spec)["formats.1:1.layers[0].fill.gradient"]


def test_size_min_above_max():
    spec = make_spec()
    layer(spec, 2)["size"] = [110, 56]
    assert "minimum size 110 is above the maximum 56" in problems_of(spec)["formats.1:1.layers[2].size"]


def test_max_lines_below_one():
    spec = make_spec()
    layer(spec, 2)["max_lines"] = 0
    assert "at least 1" in problems_of(spec)["formats.1:1.layers[2].max_lines"]


@pytest.mark.parametrize("version", [None, 2, "1", True])
def test_bad_version(version):
    spec = make_spec()
    spec["version"] = version
    assert "Unsupported version" in problems_of(spec)["version"]


@pytest.mark.parametrize("formats", [None, {}, []])
def test_no_formats(formats):
    spec = make_spec()
    spec["formats"] = formats
    assert "at least one format" in problems_of(spec)["formats"]


def test_unknown_format_key():
    spec = make_spec()
    spec["formats"]["2:3"] = copy.deepcopy(spec["formats"]["1:1"])
    assert "Unknown format '2:3'" in problems_of(spec)["formats.2:3"]


def test_slot_faults():
    spec = make_spec()
    spec["slots"]["Headline-2"] = {"type": "text", "label": "x", "default": "x"}
    spec["slots"]["cta"]["default"] = ""
    spec["slots"]["headline"]["max_chars"] = 5
    spec["slots"]["body"]["max_chars"] = 501
    spec["slots"]["photo"]["role"] = "hero"
    del spec["slots"]["accent"]["label"]  # optional for colour slots
    spec["slots"]["extra"] = {"type": "video"}
    problems = problems_of(spec)
    assert "lowercase" in problems["slots.Headline-2"]
    assert "default text is empty" in problems["slots.cta.default"]
    assert "more than max_chars (5)" in problems["slots.headline.default"]
    assert "at most 500" in problems["slots.body.max_chars"]
    assert "Unknown image role 'hero'" in problems["slots.photo.role"]
    assert "Unknown slot type 'video'" in problems["slots.extra.type"]
    assert "slots.accent.label" not in problems


def test_all_problems_are_reported_at_once():
    spec = make_spec()
    spec["version"] = 3
    layer(spec, 0)["type"] = "blob"
    layer(spec, 1)["box"] = [0, 0, 2000, 10]
    layer(spec, 2)["font"] = "Comic Sans"
    layer(spec, 3)["slot"] = "missing"
    layer(spec, 4)["size"] = [50, 20]
    with pytest.raises(TemplateSpecError) as caught:
        validate_spec(spec)
    paths = [path for path, _ in caught.value.problems]
    assert paths == [
        "version",
        "formats.1:1.layers[0].type",
        "formats.1:1.layers[1].box",
        "formats.1:1.layers[2].font",
        "formats.1:1.layers[3].slot",
        "formats.1:1.layers[4].size",
    ]
    assert caught.value.message.startswith("version: Unsupported version 3")
    assert caught.value.code == "invalid_spec"


def test_not_an_object():
    with pytest.raises(TemplateSpecError):
        validate_spec(["not", "a", "spec"])


# -- adaptation --------------------------------------------------------------------------------


def inside(box, outer) -> bool:
    x, y, w, h = box
    ox, oy, ow, oh = outer
    return ox <= x and oy <= y and x + w <= ox + ow and y + h <= oy + oh


def test_complete_formats_adapts_the_missing_ones():
    spec, adapted = complete_formats(make_spec())
    assert adapted == ["4:5", "9:16", "16:9"]
    assert list(spec["formats"]) == list(FORMAT_KEYS)
    assert validate_spec(spec) == spec, "adapted layouts pass validation"
    for key in FORMAT_KEYS:
        fmt = FORMATS[key]
        for item in spec["formats"][key]["layers"]:
            assert inside(item["box"], (0, 0, fmt.width, fmt.height))


def test_complete_formats_keeps_present_formats_and_reports_nothing_adapted():
    spec, _ = complete_formats(make_spec())
    again, adapted = complete_formats(spec)
    assert adapted == []
    assert again == spec


def test_adapted_text_stays_in_the_9_16_safe_zone():
    source = validate_spec(make_spec())
    for item in source["formats"]["1:1"]["layers"]:
        if item["type"] in ("text", "button"):
            assert inside(item["box"], FORMATS["1:1"].safe_box)
    spec, _ = complete_formats(source)
    for key in FORMAT_KEYS:
        for item in spec["formats"][key]["layers"]:
            if item["type"] in ("text", "button"):
                assert inside(item["box"], FORMATS[key].safe_box), (key, item["slot"], item["box"])
        assert lint_layout(spec, key) == []


def test_adaptation_keeps_full_bleed_layers_full_bleed_and_scales_text():
    spec, _ = complete_formats(make_spec())
    story = spec["formats"]["9:16"]["layers"]
    assert story[0]["box"] == [0, 0, 1080, 1920]
    assert story[2]["size"] == [53, 106]  # 1:1 [56, 110] x min(960/1000, 1270/1000)
    landscape = spec["formats"]["16:9"]["layers"]
    assert landscape[0]["box"] == [0, 0, 1920, 1080]


def test_adapts_from_the_nearest_aspect_ratio():
    def full_bleed(key: str, colour: str) -> dict:
        fmt = FORMATS[key]
        return {"layers": [{"type": "shape", "box": [0, 0, fmt.width, fmt.height], "fill": colour}]}

    spec = {
        "version": 1,
        "slots": {},
        "formats": {"4:5": full_bleed("4:5", "#445500"), "16:9": full_bleed("16:9", "#169000")},
    }
    completed, adapted = complete_formats(spec)
    assert adapted == ["1:1", "9:16"]
    fills = {key: layout["layers"][0]["fill"] for key, layout in completed["formats"].items()}
    # 1:1 (aspect 1.0) is nearer 4:5 (0.8) than 16:9 (1.78); so is 9:16 (0.56).
    assert fills == {"1:1": "#445500", "4:5": "#445500", "9:16": "#445500", "16:9": "#169000"}


# -- lint --------------------------------------------------------------------------------------


def test_lint_warns_for_story_text_in_the_bottom_band():
    spec = make_spec()
    spec["formats"]["9:16"] = {
        "layers": [
            {"type": "text", "slot": "headline", "box": [60, 300, 960, 300], "size": [40, 80]},
            {"type": "button", "slot": "cta", "box": [300, 1600, 480, 120], "size": [30, 40]},
            {"type": "image", "slot": "logo", "box": [40, 60, 200, 100]},
            {"type": "image", "slot": "photo", "box": [0, 0, 1080, 1920]},
        ]
    }
    warnings = lint_layout(spec, "9:16")
    assert [(w.path, w.slot) for w in warnings] == [
        ("formats.9:16.layers[1].box", "cta"),
        ("formats.9:16.layers[2].box", "logo"),
    ]
    assert isinstance(warnings[0], SpecWarning)
    assert warnings[0].format_key == "9:16"
    assert "bottom 380 px" in warnings[0].message
    assert "Stories/Reels interface" in warnings[0].message
    assert "top 270 px" in warnings[1].message


def test_lint_of_a_missing_format_lints_the_adapted_layout():
    assert lint_layout(make_spec(), "9:16") == []


def test_lint_warns_for_text_in_the_margin():
    spec = make_spec()
    layer(spec, 2)["box"] = [10, 140, 440, 300]
    (warning,) = lint_layout(spec, "1:1")
    assert warning.slot == "headline"
    assert "left 40 px margin" in warning.message


def test_slots_read_top_to_bottom_whatever_order_the_json_keeps():
    spec = {
        "slots": {"cta": {}, "body": {}, "accent": {}, "headline": {}, "logo": {}},
        "formats": {
            "9:16": {"layers": [{"slot": "headline", "box": [0, 900, 10, 10]}]},
            "1:1": {
                "layers": [
                    {"slot": "cta", "box": [60, 860, 300, 100]},
                    {"slot": "headline", "box": [60, 140, 900, 200]},
                    {"slot": "body", "box": [60, 380, 900, 120]},
                    {"slot": "logo", "box": [900, 40, 100, 100]},
                ]
            },
        },
    }
    assert ordered_slot_names(spec) == ["logo", "headline", "body", "cta", "accent"]
