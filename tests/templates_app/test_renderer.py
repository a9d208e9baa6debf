"""The ad renderer (templates_app.renderer): pixels, text fitting, scripts, images, encoding. Pure, no database."""

import io
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops, ImageCms, ImageDraw

from templates_app.errors import TemplateSpecError, TextDoesNotFit
from templates_app.renderer import (
    BrandStyle,
    RenderInputs,
    available_fonts,
    encode_image,
    render_ad,
    srgb_profile_bytes,
    to_srgb,
)
from templates_app.spec import FONT_FAMILIES, FORMATS, PATTERNS

WHITE = (255, 255, 255)


def text_spec(text: str = "Summer sale", *, slot_extra: dict | None = None, **layer) -> dict:
    """One text layer on a white 1:1 canvas."""
    text_layer = {
        "type": "text",
        "slot": "headline",
        "box": [100, 100, 600, 300],
        "font": "Inter",
        "weight": 700,
        "size": [24, 96],
        "max_lines": 3,
        "color": "#000000",
        **layer,
    }
    slot = {"type": "text", "label": "Headline", "default": text, "max_chars": 500, **(slot_extra or {})}
    return {
        "version": 1,
        "slots": {"headline": slot},
        "formats": {"1:1": {"background": "#FFFFFF", "layers": [text_layer]}},
    }


def image_spec(**layer) -> dict:
    image_layer = {"type": "image", "slot": "photo", "box": [100, 100, 200, 200], **layer}
    return {
        "version": 1,
        "slots": {"photo": {"type": "image", "label": "Photo"}},
        "formats": {"1:1": {"background": "#00FF00", "layers": [image_layer]}},
    }


def full_spec() -> dict:
    """Every kind of layer, as a typical template uses them."""
    return {
        "version": 1,
        "slots": {
            "headline": {"type": "text", "label": "Headline", "default": "Summer sale", "max_chars": 40},
            "body": {"type": "text", "label": "Body", "default": "Up to 50% off everything", "max_chars": 90},
            "cta": {"type": "text", "label": "Button", "default": "Shop now", "max_chars": 18},
            "photo": {"type": "image", "label": "Photo", "role": "product"},
            "logo": {"type": "image", "label": "Logo", "role": "logo"},
            "accent": {"type": "color", "label": "Accent", "default": "brand.accent"},
        },
        "formats": {
            "1:1": {
                "background": {
                    "gradient": "radial",
                    "center": [0.3, 0.3],
                    "stops": [[0, "brand.primary"], [1, "#102030"]],
                },
                "layers": [
                    {
                        "type": "pattern",
                        "pattern": "confetti",
                        "box": [0, 0, 1080, 1080],
                        "colors": ["slot.accent", "#FFFFFF55"],
                        "seed": 3,
                    },
                    {
                        "type": "shape",
                        "shape": "rounded_rect",
                        "box": [560, 120, 460, 620],
                        "radius": 40,
                        "fill": "#FFFFFF22",
                        "rotate": 6,
                    },
                    {"type": "image", "slot": "photo", "box": [580, 140, 420, 580], "fit": "cover", "radius": 32},
                    {
                        "type": "text",
                        "slot": "headline",
                        "box": [72, 140, 440, 300],
                        "font": "brand.heading",
                        "weight": 800,
                        "size": [56, 110],
                        "line_height": 1.05,
                        "color": "#FFFFFF",
                    },
                    {
                        "type": "text",
                        "slot": "body",
                        "box": [72, 480, 440, 160],
                        "size": [28, 40],
                        "color": "#FFFFFFCC",
                    },
                    {
                        "type": "button",
                        "slot": "cta",
                        "box": [72, 860, 360, 110],
                        "size": [28, 44],
                        "fill": "slot.accent",
                        "color": "#FFFFFF",
                    },
                    {"type": "image", "slot": "logo", "box": [820, 900, 200, 120], "fit": "contain"},
                ],
            }
        },
    }


def photo(size=(800, 600)) -> Image.Image:
    image = Image.new("RGB", size, (200, 120, 40))
    draw = ImageDraw.Draw(image)
    draw.ellipse((size[0] * 0.25, size[1] * 0.2, size[0] * 0.75, size[1] * 0.8), fill=(30, 60, 200))
    return image


def png(result) -> bytes:
    return encode_image(result.image, "png")


def assert_ink_inside(result):
    assert result.text_boxes
    for drawn in result.text_boxes:
        left, top, right, bottom = drawn.layout_box
        ink = drawn.ink_box
        assert ink is not None
        where = (drawn.slot, drawn.lines, drawn.layout_box, ink)
        assert left <= ink[0], where
        assert top <= ink[1], where
        assert ink[2] <= right, where
        assert ink[3] <= bottom, where


# -- the whole picture -------------------------------------------------------------------------


def test_same_inputs_give_the_same_pixels():
    inputs = RenderInputs(
        images={"photo": photo()}, texts={"headline": "Fresh deals daily"}, brand=BrandStyle(logo=photo((300, 100)))
    )
    first = png(render_ad(full_spec(), "1:1", inputs))
    second = png(
        render_ad(
            full_spec(),
            "1:1",
            RenderInputs(
                images={"photo": photo()},
                texts={"headline": "Fresh deals daily"},
                brand=BrandStyle(logo=photo((300, 100))),
            ),
        )
    )
    assert first == second


@pytest.mark.parametrize("key", list(FORMATS))
def test_every_format_renders_at_its_size_adapted_when_missing(key):
    result = render_ad(full_spec(), key, RenderInputs(images={"photo": photo()}))
    assert result.image.size == FORMATS[key].size
    assert result.image.mode == "RGB"
    assert {d.slot for d in result.text_boxes} == {"headline", "body", "cta"}
    assert_ink_inside(result)
    assert result.warnings == []


def test_preview_scale_keeps_the_layout():
    full = render_ad(full_spec(), "1:1", RenderInputs(images={"photo": photo()}))
    small = render_ad(full_spec(), "1:1", RenderInputs(images={"photo": photo()}), scale=0.25)
    assert small.image.size == (270, 270)
    assert [(d.slot, d.lines, d.font_size) for d in small.text_boxes] == [
        (d.slot, d.lines, d.font_size) for d in full.text_boxes
    ]
    assert small.text_boxes[0].layout_box == (18, 35, 128, 110)
    assert_ink_inside(small)


def test_missing_texts_take_the_slot_default_and_blank_texts_are_never_replaced_by_sample_copy():
    spec = full_spec()
    spec["slots"]["body"]["required"] = False
    result = render_ad(spec, "1:1", RenderInputs(texts={"headline": "  ", "body": ""}))
    drawn = {d.slot: d.lines for d in result.text_boxes}
    # Blank is what the user chose (the request refuses a blank required text before it gets here).
    assert "headline" not in drawn, "a blank text must not be replaced by the template's sample copy"
    assert "body" not in drawn
    assert drawn["cta"] == ["Shop now"]  # not given at all: the template's text


def test_invalid_spec_and_input_colours_are_refused():
    spec = full_spec()
    spec["formats"]["1:1"]["layers"][3]["font"] = "Comic Sans"
    with pytest.raises(TemplateSpecError):
        render_ad(spec, "1:1")
    with pytest.raises(TemplateSpecError) as caught:
        render_ad(full_spec(), "1:1", RenderInputs(colors={"accent": "orange"}))
    assert caught.value.problems[0][0] == "colors.accent"
    with pytest.raises(TemplateSpecError):
        render_ad(full_spec(), "3:2")


def test_colour_inputs_and_brand_colours_fill_their_layers():
    spec = text_spec("x")
    spec["slots"]["accent"] = {"type": "color", "label": "Accent", "default": "brand.accent"}
    spec["formats"]["1:1"]["layers"].insert(0, {"type": "shape", "box": [0, 0, 50, 50], "fill": "slot.accent"})
    spec["formats"]["1:1"]["layers"].insert(0, {"type": "shape", "box": [50, 0, 50, 50], "fill": "brand.primary"})
    brand = BrandStyle(colors={"primary": "#112233", "accent": "#AA5500"})
    default = render_ad(spec, "1:1", RenderInputs(brand=brand)).image
    chosen = render_ad(spec, "1:1", RenderInputs(brand=brand, colors={"accent": "#00AA55"})).image
    assert default.getpixel((10, 10)) == (0xAA, 0x55, 0x00)
    assert chosen.getpixel((10, 10)) == (0x00, 0xAA, 0x55)
    assert chosen.getpixel((60, 10)) == (0x11, 0x22, 0x33)


# -- text fitting -----------------------------------------------------------------------------


def test_longer_text_shrinks_and_never_leaves_its_box():
    short = render_ad(text_spec("Sale"), "1:1").text_boxes[0]
    long = render_ad(text_spec("The biggest summer sale we have ever had, on everything"), "1:1").text_boxes[0]
    assert short.font_size == 96
    assert 24 <= long.font_size < 96
    assert len(long.lines) <= 3
    assert " ".join(long.lines) == "The biggest summer sale we have ever had, on everything", "nothing is cut"


@pytest.mark.parametrize(
    ("text", "layer"),
    [
        ("Hi", {}),
        ("A much longer headline that needs to wrap onto several lines", {}),
        ("Supercalifragilisticexpialidocious", {"size": [60, 96], "max_lines": 4}),
        ("Line one\nLine two", {"valign": "bottom", "align": "right"}),
        ("Jumpy quirky glyphs", {"valign": "middle", "align": "center", "line_height": 0.8}),
        ("ÂÊÎÔÛ Ågjpqy", {"line_height": 0.9, "valign": "top"}),
        ("Spaced out", {"letter_spacing": 14, "transform": "upper"}),
        ("Tight", {"letter_spacing": -4}),
        ("Việt Nam — Ưu đãi lớn", {"font": "Montserrat"}),
        ("Πρόσφορα καλοκαιριού", {"font": "Noto Serif"}),
        ("Летняя распродажа", {"font": "Oswald", "weight": 400}),
        ("שלום עולם", {"align_rtl": "mirror"}),
        ("تخفيضات الصيف الكبرى", {"valign": "bottom"}),
    ],
)
def test_ink_stays_inside_the_layout_box(text, layer):
    result = render_ad(text_spec(text, **layer), "1:1")
    assert_ink_inside(result)


ALPHABETS = [
    "abcdefghijklmnopqrstuvwxyz",
    "ÂÊÎÔÛÅÄÖÜàéèçñßgjpqyW",
    "абвгдежзийклмнЖЩ",
    "αβγδεζηθικλμνξΩ",
    "שלוםעולםאבגד",
    "مرحبابالعالمكتبي",
    "0123456789%$€!?—",
    "ệảẫợửỹđ",
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.data(),
    width=st.integers(60, 900),
    height=st.integers(40, 600),
    low=st.integers(8, 60),
    extra=st.integers(0, 100),
    layer=st.fixed_dictionaries(
        {
            "font": st.sampled_from(FONT_FAMILIES),
            "weight": st.sampled_from([400, 700, 800, 900]),
            "max_lines": st.integers(1, 5),
            "line_height": st.sampled_from([0.8, 1.0, 1.2, 1.5]),
            "align": st.sampled_from(["left", "center", "right"]),
            "valign": st.sampled_from(["top", "middle", "bottom"]),
            "letter_spacing": st.sampled_from([0, -3, 5, 20]),
            "transform": st.sampled_from(["none", "upper"]),
        }
    ),
    scale=st.sampled_from([1, 0.5, 0.2]),
)
def test_fitted_text_never_leaves_its_box_or_loses_a_word(data, width, height, low, extra, layer, scale):
    alphabet = data.draw(st.sampled_from(ALPHABETS))
    words = data.draw(st.lists(st.text(alphabet=alphabet, min_size=1, max_size=14), min_size=1, max_size=10))
    text = " ".join(words)
    spec = text_spec(text, box=[50, 50, width, height], size=[low, low + extra], **layer)
    try:
        result = render_ad(spec, "1:1", scale=scale)
    except TextDoesNotFit as error:
        result, overflow = None, (error.overflow_lines, error.overflow_px)
    if result is None:
        assert max(overflow) > 0, "a refusal says by how much"
        return
    assert_ink_inside(result)
    drawn = "".join(result.text_boxes[0].lines).replace(" ", "")
    expected = (text.upper() if layer["transform"] == "upper" else text).replace(" ", "")
    assert drawn == expected


def test_ink_stays_inside_at_preview_scale():
    result = render_ad(text_spec("A headline that wraps onto two lines", letter_spacing=3), "1:1", scale=0.2)
    assert_ink_inside(result)


def test_a_word_longer_than_the_box_is_broken_not_cut():
    result = render_ad(text_spec("Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", size=[60, 80], max_lines=3), "1:1")
    drawn = result.text_boxes[0]
    assert len(drawn.lines) > 1
    assert "".join(drawn.lines) == "Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    assert_ink_inside(result)


def test_text_that_cannot_fit_raises_naming_slot_format_and_overflow():
    with pytest.raises(TextDoesNotFit) as caught:
        render_ad(text_spec("word " * 90, size=[30, 40], max_lines=2), "4:5")
    error = caught.value
    assert error.slot == "headline"
    assert error.format_key == "4:5"
    assert error.overflow_lines > 0
    assert "'headline'" in error.message
    assert "4:5" in error.message
    assert "lines too many" in error.message


def test_a_single_glyph_wider_than_the_box_reports_pixels():
    with pytest.raises(TextDoesNotFit) as caught:
        render_ad(text_spec("W", size=[300, 300], box=[100, 100, 100, 400]), "1:1")
    assert caught.value.overflow_px > 0


def test_top_alignment_puts_capitals_on_the_top_edge():
    drawn = render_ad(text_spec("HELLO", valign="top"), "1:1").text_boxes[0]
    assert drawn.ink_box[1] - drawn.layout_box[1] <= 1
    drawn = render_ad(text_spec("HELLO", valign="bottom"), "1:1").text_boxes[0]
    assert drawn.layout_box[3] - drawn.ink_box[3] <= 1


# -- ink boxes: exactly the pixels drawn -------------------------------------------------------


def drawn_pixels_box(image: Image.Image):
    """The bounding box of every pixel a black text changed on a white canvas."""
    return ImageChops.invert(image.convert("L")).getbbox()


def story_text_spec(text: str, **layer) -> dict:
    """One black text layer on a white 9:16 canvas."""
    spec = text_spec(text, **{"box": [80, 960, 920, 300], "size": [60, 130], **layer})
    spec["formats"]["9:16"] = spec["formats"].pop("1:1")
    return spec


def test_ink_box_of_bottom_aligned_greek_is_the_drawn_pixels():
    # Reported 1 px too tall: the box came from Pillow's bbox at a whole-pixel origin moved to a
    # fractional baseline and rounded outwards (and it spanned the advance, not the ink).
    spec = story_text_spec("Προσφορά για όλα τα προϊόντα", font="Montserrat", weight=900, valign="bottom")
    result = render_ad(spec, "9:16")
    (drawn,) = result.text_boxes
    assert drawn.font_family == "Noto Sans", "Montserrat has no Greek: the whole text falls back"
    assert drawn.ink_box == drawn_pixels_box(result.image)
    assert drawn.ink_box[3] == drawn.layout_box[3], "the last line's descenders sit on the bottom edge"


INK_TEXTS = {
    "latin": "Quality joy, gift wrapping",
    "greek": "Προσφορά για όλα τα προϊόντα",
    "cyrillic": "Специальное предложение для всех",
    "arabic": "عرض خاص على جميع المنتجات",
    "hebrew": "מבצע מיוחד לכל המוצרים",
}


@pytest.mark.parametrize("family", FONT_FAMILIES)
@pytest.mark.parametrize("valign", ["top", "middle", "bottom"])
def test_ink_box_is_exactly_the_drawn_pixels_in_every_bundled_font(family, valign):
    for kind, text in INK_TEXTS.items():
        for weight, align in ((900, "left"), (400, "right")):
            spec = story_text_spec(text, font=family, weight=weight, valign=valign, align=align)
            result = render_ad(spec, "9:16")
            (drawn,) = result.text_boxes
            assert drawn.ink_box == drawn_pixels_box(result.image), (kind, weight, drawn.font_family)


@pytest.mark.parametrize("kind", ["latin", "greek", "cyrillic"])
def test_ink_box_is_exact_with_letter_spacing_and_at_preview_scale(kind):
    spec = story_text_spec(INK_TEXTS[kind], font="Oswald", weight=700, letter_spacing=7, align="center")
    for scale in (1.0, 0.5, 0.37):
        result = render_ad(spec, "9:16", scale=scale)
        (drawn,) = result.text_boxes
        assert drawn.ink_box == drawn_pixels_box(result.image), scale


# -- scripts and directions -------------------------------------------------------------------


def right_end_columns(image: Image.Image, box, width: int) -> list[int]:
    """How much ink each pixel column of the last `width` px of the box holds (blind to vertical shifts)."""
    _, top, right, bottom = box
    crop = image.crop((right - width, top, right, bottom)).convert("L")
    pixels = crop.load()
    return [sum(255 - pixels[x, y] for y in range(crop.height)) // 255 for x in range(crop.width)]


def mean_difference(a: list[int], b: list[int]) -> float:
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a)


@pytest.mark.parametrize(
    ("first", "rest", "last"),
    [
        ("שלום", " עולם", "עולם"),  # Hebrew: "hello world"
        ("مرحبا", " بالعالم", "بالعالم"),  # Arabic: the same
    ],
)
def test_right_to_left_text_starts_at_the_right(first, rest, last):
    layer = {"size": [60, 60], "max_lines": 1, "align": "right", "box": [100, 100, 800, 120], "valign": "middle"}
    whole = render_ad(text_spec(first + rest, **layer), "1:1")
    alone = render_ad(text_spec(first, **layer), "1:1")
    other = render_ad(text_spec(last, **layer), "1:1")
    assert whole.text_boxes[0].direction == "rtl"
    assert whole.text_boxes[0].lines == [first + rest]
    word_width = alone.text_boxes[0].ink_box[2] - alone.text_boxes[0].ink_box[0]
    box = whole.text_boxes[0].layout_box
    # The first word (logical order) is drawn at the right end of the line, where it would be alone.
    columns = right_end_columns(whole.image, box, word_width)
    assert mean_difference(columns, right_end_columns(alone.image, box, word_width)) < 3
    assert mean_difference(columns, right_end_columns(other.image, box, word_width)) > 8


def test_left_to_right_text_is_not_reversed():
    result = render_ad(text_spec("Hello world", size=[60, 60], max_lines=1), "1:1")
    assert result.text_boxes[0].direction == "ltr"


def test_right_to_left_text_mirrors_alignment_only_when_asked():
    keep = render_ad(text_spec("שלום", align="left", box=[100, 100, 800, 120]), "1:1").text_boxes[0]
    mirror = render_ad(text_spec("שלום", align="left", align_rtl="mirror", box=[100, 100, 800, 120]), "1:1").text_boxes[
        0
    ]
    assert keep.ink_box[0] - keep.layout_box[0] <= 8
    assert mirror.layout_box[2] - mirror.ink_box[2] <= 8
    assert mirror.ink_box[0] > 400


@pytest.mark.parametrize(
    ("text", "family", "expected"),
    [
        ("Summer sale", "Inter", "Inter"),
        ("تخفيضات الصيف", "Inter", "Noto Sans Arabic"),
        ("מבצע קיץ", "Montserrat", "Noto Sans Hebrew"),
        ("Καλοκαίρι", "Oswald", "Noto Sans"),
        ("Καλοκαίρι", "Playfair Display", "Noto Serif"),
        ("Καλοκαίρι", "Inter", "Inter"),
        ("Лето", "Roboto", "Roboto"),
        ("Mùa hè", "Lato", "Lato"),
    ],
)
def test_fonts_fall_back_to_the_noto_family_that_covers_the_script(text, family, expected):
    result = render_ad(text_spec(text, font=family, max_lines=2), "1:1")
    assert result.text_boxes[0].font_family == expected
    assert_ink_inside(result)


def test_brand_fonts_are_used_and_an_unknown_one_falls_back_with_a_warning():
    spec = text_spec("Summer sale", font="brand.heading")
    chosen = render_ad(spec, "1:1", RenderInputs(brand=BrandStyle(heading_font="Playfair Display")))
    assert chosen.text_boxes[0].font_family == "Playfair Display"
    unknown = render_ad(spec, "1:1", RenderInputs(brand=BrandStyle(heading_font="Papyrus")))
    assert unknown.text_boxes[0].font_family == "Inter"
    assert [w.path for w in unknown.warnings] == ["formats.1:1.layers[0].font"]
    assert "'Papyrus' is not available" in unknown.warnings[0].message


def test_uploaded_brand_fonts_render():
    lato = available_fonts()["Lato"][700]
    inputs = RenderInputs(brand=BrandStyle(heading_font="Acme Sans"), extra_fonts={"Acme Sans": lato})
    result = render_ad(text_spec("Summer sale", font="brand.heading"), "1:1", inputs)
    assert result.text_boxes[0].font_family == "Acme Sans"
    assert result.warnings == []


# -- images ------------------------------------------------------------------------------------


def halves(size=(400, 100)) -> Image.Image:
    image = Image.new("RGB", size, (255, 0, 0))
    image.paste((0, 0, 255), (size[0] // 2, 0, size[0], size[1]))
    return image


@pytest.mark.parametrize(("focal", "colour"), [([0.0, 0.5], (255, 0, 0)), ([1.0, 0.5], (0, 0, 255))])
def test_cover_crops_around_the_focal_point(focal, colour):
    image = render_ad(image_spec(fit="cover", focal=focal), "1:1", RenderInputs(images={"photo": halves()})).image
    for point in [(105, 105), (200, 200), (295, 295)]:
        assert image.getpixel(point) == colour


def test_contain_shows_the_whole_image():
    image = render_ad(image_spec(fit="contain"), "1:1", RenderInputs(images={"photo": halves()})).image
    assert image.getpixel((200, 110)) == (0, 255, 0), "letterboxed above"
    assert image.getpixel((110, 200)) == (255, 0, 0)
    assert image.getpixel((290, 200)) == (0, 0, 255)
    assert image.getpixel((200, 290)) == (0, 255, 0), "letterboxed below"


def test_round_and_circle_masks():
    inputs = RenderInputs(images={"photo": Image.new("RGB", (50, 50), (255, 0, 0))})
    rounded = render_ad(image_spec(radius=40), "1:1", inputs).image
    circle = render_ad(image_spec(shape="circle"), "1:1", inputs).image
    for image in (rounded, circle):
        assert image.getpixel((101, 101)) == (0, 255, 0)
        assert image.getpixel((200, 200)) == (255, 0, 0)
    assert rounded.getpixel((200, 101)) == (255, 0, 0)
    assert circle.getpixel((120, 120)) == (0, 255, 0)


def test_missing_image_is_skipped_or_drawn_as_placeholder():
    skipped = render_ad(image_spec(), "1:1").image
    assert skipped.getpixel((200, 200)) == (0, 255, 0)
    placeholder = render_ad(image_spec(placeholder="#123456"), "1:1").image
    assert placeholder.getpixel((200, 200)) == (0x12, 0x34, 0x56)


def test_logo_slot_defaults_to_the_brand_logo():
    spec = image_spec()
    spec["slots"]["photo"]["role"] = "logo"
    image = render_ad(spec, "1:1", RenderInputs(brand=BrandStyle(logo=Image.new("RGB", (10, 10), (9, 9, 9))))).image
    assert image.getpixel((200, 200)) == (9, 9, 9)


def palette_image() -> Image.Image:
    image = Image.new("P", (20, 20), 1)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    image.info["transparency"] = 0
    image.paste(0, (0, 0, 10, 20))  # left half transparent
    return image


@pytest.mark.parametrize(
    ("make", "left", "right"),
    [
        (palette_image, (0, 255, 0), (255, 0, 0)),
        (lambda: Image.new("LA", (20, 20), (128, 255)), (128, 128, 128), (128, 128, 128)),
        (lambda: Image.new("CMYK", (20, 20), (0, 255, 255, 0)), (255, 0, 0), (255, 0, 0)),
        (lambda: Image.new("L", (20, 20), 200), (200, 200, 200), (200, 200, 200)),
        (lambda: Image.new("I;16", (20, 20), 65535), (255, 255, 255), (255, 255, 255)),
        (lambda: Image.new("1", (20, 20), 1), (255, 255, 255), (255, 255, 255)),
    ],
)
def test_image_modes_are_converted(make, left, right):
    image = render_ad(image_spec(fit="cover"), "1:1", RenderInputs(images={"photo": make()})).image
    assert image.getpixel((130, 200)) == left
    assert image.getpixel((270, 200)) == right


def test_transparent_pixels_show_what_is_below():
    rgba = Image.new("RGBA", (20, 20), (255, 0, 0, 0))
    rgba.paste((255, 0, 0, 255), (10, 0, 20, 20))
    image = render_ad(image_spec(), "1:1", RenderInputs(images={"photo": rgba})).image
    assert image.getpixel((130, 200)) == (0, 255, 0)
    assert image.getpixel((270, 200)) == (255, 0, 0)


def linear_rgb_icc() -> bytes:
    """A minimal ICC v2 profile: sRGB primaries with a linear (gamma 1.0) tone curve."""

    def s15(value: float) -> bytes:
        return struct.pack(">i", round(value * 65536))

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ \0\0\0\0" + s15(x) + s15(y) + s15(z)

    text = b"Linear RGB (test)\0"
    desc = b"desc\0\0\0\0" + struct.pack(">I", len(text)) + text + b"\0" * 8 + b"\0\0\0" + b"\0" * 67
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, 0x0100)
    tags = [
        (b"desc", desc),
        (b"cprt", b"text\0\0\0\0none\0"),
        (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(0.4361, 0.2225, 0.0139)),
        (b"gXYZ", xyz(0.3851, 0.7169, 0.0971)),
        (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, body in tags:
        body += b"\0" * (-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = (
        struct.pack(">I", size)
        + b"lcms"
        + struct.pack(">I", 0x02100000)
        + b"mntrRGB XYZ "
        + b"\0" * 12
        + b"acsp"
        + b"\0" * 24
        + struct.pack(">I", 0)
        + s15(0.9642)
        + s15(1.0)
        + s15(0.8249)
        + b"\0" * 48
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + data


def test_images_in_another_colour_profile_are_converted_to_srgb():
    tagged = Image.new("RGB", (20, 20), (128, 128, 128))
    tagged.info["icc_profile"] = linear_rgb_icc()
    assert "Linear RGB" in ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(linear_rgb_icc())))
    converted = to_srgb(tagged)
    assert abs(converted.getpixel((5, 5))[0] - 188) <= 2  # linear 0.5 is sRGB 188
    drawn = render_ad(image_spec(), "1:1", RenderInputs(images={"photo": tagged})).image
    assert abs(drawn.getpixel((200, 200))[0] - 188) <= 2
    decoded = Image.open(io.BytesIO(encode_image(tagged, "png")))
    assert abs(decoded.getpixel((5, 5))[0] - 188) <= 2
    untagged = Image.new("RGB", (20, 20), (128, 128, 128))
    assert to_srgb(untagged).getpixel((5, 5)) == (128, 128, 128)


# -- shapes and patterns -----------------------------------------------------------------------


def shape_spec(**layer) -> dict:
    shape = {"type": "shape", "box": [100, 100, 400, 200], "fill": "#000000", **layer}
    return {"version": 1, "slots": {}, "formats": {"1:1": {"background": "#FFFFFF", "layers": [shape]}}}


def test_shapes_fill_their_geometry():
    rect = render_ad(shape_spec(), "1:1").image
    assert rect.getpixel((100, 100)) == (0, 0, 0)
    assert rect.getpixel((99, 99)) == WHITE
    circle = render_ad(shape_spec(shape="circle"), "1:1").image
    assert circle.getpixel((300, 200)) == (0, 0, 0)
    assert circle.getpixel((150, 200)) == WHITE, "the largest circle centred in the box"
    ellipse = render_ad(shape_spec(shape="ellipse"), "1:1").image
    assert ellipse.getpixel((150, 200)) == (0, 0, 0)
    assert ellipse.getpixel((102, 102)) == WHITE
    rounded = render_ad(shape_spec(shape="rounded_rect", radius=50), "1:1").image
    assert rounded.getpixel((101, 101)) == WHITE
    assert rounded.getpixel((300, 101)) == (0, 0, 0)


def test_opacity_stroke_and_rotation():
    half = render_ad(shape_spec(opacity=0.5), "1:1").image
    assert half.getpixel((300, 200)) in ((127, 127, 127), (128, 128, 128))
    alpha = render_ad(shape_spec(fill="#00000080"), "1:1").image
    assert alpha.getpixel((300, 200)) == half.getpixel((300, 200))
    stroked = render_ad(shape_spec(fill="#FFFFFF", stroke={"color": "#FF0000", "width": 10}), "1:1").image
    assert stroked.getpixel((104, 200)) == (255, 0, 0)
    assert stroked.getpixel((300, 200)) == WHITE
    turned = render_ad(shape_spec(rotate=45), "1:1").image
    assert turned.getpixel((101, 101)) == WHITE, "a corner turned away"
    assert turned.getpixel((300, 200)) == (0, 0, 0)


def test_gradients_run_from_stop_to_stop():
    linear = render_ad(
        shape_spec(fill={"gradient": "linear", "angle": 90, "stops": [[0, "#000000"], [1, "#FFFFFF"]]}), "1:1"
    ).image
    left, middle, right = (linear.getpixel((x, 200))[0] for x in (100, 300, 499))
    assert left <= 3
    assert right >= 252
    assert left < middle < right
    down = render_ad(
        shape_spec(fill={"gradient": "linear", "angle": 180, "stops": [[0, "#FF0000"], [1, "#0000FF"]]}), "1:1"
    ).image
    assert down.getpixel((300, 100))[0] > 240
    assert down.getpixel((300, 299))[2] > 240
    radial = render_ad(
        shape_spec(fill={"gradient": "radial", "center": [0.5, 0.5], "stops": [[0, "#FFFFFF"], [1, "#000000"]]}), "1:1"
    ).image
    assert radial.getpixel((300, 200))[0] >= 250
    assert radial.getpixel((101, 101))[0] <= 10


@pytest.mark.parametrize("pattern", PATTERNS)
def test_patterns_draw_inside_their_box_only(pattern):
    spec = shape_spec()
    spec["formats"]["1:1"]["layers"] = [
        {
            "type": "pattern",
            "pattern": pattern,
            "box": [200, 200, 300, 300],
            "color": "#000000",
            "spacing": 30,
            "size": 8,
            "angle": 20,
            "seed": 1,
        }
    ]
    image = render_ad(spec, "1:1").image
    inside = image.crop((200, 200, 500, 500)).convert("L")
    outside = image.copy()
    outside.paste(WHITE, (200, 200, 500, 500))
    assert inside.getextrema()[0] < 64, "the pattern drew something"
    assert outside.convert("L").getextrema() == (255, 255), "and nothing outside the box"
    assert png(render_ad(spec, "1:1")) == png(render_ad(spec, "1:1"))


def test_button_text_is_centred_on_its_fill():
    spec = {
        "version": 1,
        "slots": {"cta": {"type": "text", "label": "CTA", "default": "Shop now"}},
        "formats": {
            "1:1": {
                "background": "#FFFFFF",
                "layers": [
                    {
                        "type": "button",
                        "slot": "cta",
                        "box": [100, 100, 400, 100],
                        "size": [20, 40],
                        "fill": "#000000",
                        "color": "#FFFFFF",
                    }
                ],
            }
        },
    }
    result = render_ad(spec, "1:1")
    (drawn,) = result.text_boxes
    assert drawn.layout_box == (132, 116, 468, 184), "the box less its padding"
    ink = drawn.ink_box
    assert abs((ink[0] + ink[2]) / 2 - 300) <= 2
    assert abs((ink[1] + ink[3]) / 2 - 150) <= 6
    assert result.image.getpixel((101, 101)) == WHITE, "pill-shaped corners"
    assert result.image.getpixel((300, 105)) == (0, 0, 0)


def test_render_warns_about_text_in_the_story_bands():
    spec = text_spec("Hello", box=[60, 1600, 600, 200])
    spec["formats"]["9:16"] = spec["formats"].pop("1:1")
    result = render_ad(spec, "9:16")
    assert [w.slot for w in result.warnings] == ["headline"]


# -- encoding ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "name"), [("png", "PNG"), ("jpeg", "JPEG"), ("webp", "WEBP")])
def test_encoded_images_open_with_an_srgb_profile(fmt, name):
    image = render_ad(full_spec(), "1:1", RenderInputs(images={"photo": photo()}), scale=0.5).image
    data = encode_image(image, fmt, quality=85)
    decoded = Image.open(io.BytesIO(data))
    assert decoded.format == name
    assert decoded.size == (540, 540)
    assert decoded.info["icc_profile"] == srgb_profile_bytes()
    description = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(decoded.info["icc_profile"])))
    assert "sRGB" in description


def test_jpeg_flattens_transparency_onto_white():
    data = encode_image(Image.new("RGBA", (8, 8), (0, 0, 0, 0)), "jpeg")
    assert Image.open(io.BytesIO(data)).convert("RGB").getpixel((4, 4)) == WHITE


def test_unknown_encoding_is_refused():
    with pytest.raises(ValueError, match="Unknown image format"):
        encode_image(Image.new("RGB", (8, 8)), "gif")
