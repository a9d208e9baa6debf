"""The bundled fonts and the check of uploaded brand fonts (templates_app.renderer.fonts): pure, no database."""

import pytest
from PIL import ImageFont

from accounts.constants import BRAND_FONTS, DEFAULT_PALETTE
from templates_app.errors import TemplateSpecError
from templates_app.renderer import DEFAULT_BRAND_COLORS, FONT_FAMILIES, FONTS_DIR, available_fonts, validate_font_file
from templates_app.renderer.fonts import choose_face, load_font, missing_glyphs, nearest_weight


def test_bundled_families_are_the_brand_kit_choices():
    assert [value for value, _ in BRAND_FONTS] == FONT_FAMILIES
    assert list(available_fonts()) == FONT_FAMILIES
    assert DEFAULT_BRAND_COLORS == DEFAULT_PALETTE


@pytest.mark.parametrize("family", FONT_FAMILIES)
def test_each_family_has_regular_and_bold_a_licence_and_a_readme_entry(family):
    faces = available_fonts()[family]
    assert {400, 700} <= set(faces)
    folder = faces[400].parent
    assert (folder / "OFL.txt").read_text().count("SIL Open Font License") >= 1
    assert f"| {family} |" in (FONTS_DIR / "README.md").read_text()
    for weight, path in faces.items():
        font = ImageFont.truetype(str(path), 40)
        name, _style = font.getname()
        assert name == family, (path, name)
        assert validate_font_file(path.read_bytes()) == family
        assert weight in (400, 700, 800, 900)


def test_display_weights_where_the_family_has_them():
    fonts = available_fonts()
    for family in ("Inter", "Montserrat", "Roboto", "Lato", "Playfair Display", "Noto Sans", "Noto Sans Arabic"):
        assert 900 in fonts[family], family


def test_available_fonts_is_a_copy():
    available_fonts()["Inter"].clear()
    assert available_fonts()["Inter"]


@pytest.mark.parametrize(
    ("weights", "wanted", "expected"),
    [
        ([400, 700, 900], 800, 900),
        ([400, 700, 800, 900], 800, 800),
        ([400, 700], 900, 700),
        ([400, 700], 300, 400),
        ([400, 700, 900], 500, 400),
        ([400, 700, 900], 600, 700),
        ([700, 900], 400, 700),
    ],
)
def test_nearest_weight_follows_css_matching(weights, wanted, expected):
    assert nearest_weight(weights, wanted) == expected


def test_glyph_coverage():
    inter = available_fonts()["Inter"][400]
    arabic = available_fonts()["Noto Sans Arabic"][400]
    assert missing_glyphs(inter, "Hello Привет Γειά σου Việt Nam") == 0
    assert missing_glyphs(inter, "مرحبا") == 5
    assert missing_glyphs(arabic, "مرحبا") == 0
    assert missing_glyphs(inter, "a\u200db\u200fc d") == 0, "joiners, marks and spaces need no glyph"
    assert choose_face("مرحبا", "Inter", 800)[0] == "Noto Sans Arabic"
    assert choose_face("שלום", "Inter", 400)[0] == "Noto Sans Hebrew"


def test_fonts_are_loaded_once_per_size_and_shaped_with_kerning():
    path = str(available_fonts()["Inter"][700])
    font = load_font(path, 48)
    assert font is load_font(path, 48)
    assert font.layout_engine == ImageFont.Layout.RAQM
    assert font.getlength("AV") < font.getlength("A") + font.getlength("V"), "the kern pair AV is tightened"


# -- uploaded brand fonts ------------------------------------------------------------------------


def refusal(data: bytes) -> str:
    with pytest.raises(TemplateSpecError) as caught:
        validate_font_file(data)
    ((path, message),) = caught.value.problems
    assert path == "font"
    return message


def test_a_real_font_is_accepted_with_its_family_name():
    assert validate_font_file(available_fonts()["Playfair Display"][700].read_bytes()) == "Playfair Display"


def test_text_is_refused():
    assert "not a TrueType or OpenType font" in refusal(b"This is not a font, just some text.\n" * 20)


def test_empty_file_is_refused():
    assert "empty" in refusal(b"")


@pytest.mark.parametrize("keep", [0.5, 0.1, 0.01])
def test_truncated_font_is_refused(keep):
    data = available_fonts()["Inter"][400].read_bytes()
    assert "damaged" in refusal(data[: int(len(data) * keep)])


def test_web_fonts_and_collections_are_refused():
    data = available_fonts()["Inter"][400].read_bytes()
    assert "WOFF" in refusal(b"wOF2" + data[4:])
    assert "collection" in refusal(b"ttcf" + data[4:])


def test_fonts_over_5_mb_are_refused():
    data = available_fonts()["Inter"][400].read_bytes()
    assert "at most 5 MB" in refusal(data + b"\0" * (5 * 1024 * 1024))


def test_font_with_damaged_tables_is_refused():
    data = bytearray(available_fonts()["Roboto"][400].read_bytes())
    # Wipe the table directory's tags: the header still says TrueType, the tables are gone.
    for i in range(int.from_bytes(data[4:6], "big")):
        data[12 + 16 * i : 16 + 16 * i] = b"zzzz"
    assert "damaged or incomplete" in refusal(bytes(data))
