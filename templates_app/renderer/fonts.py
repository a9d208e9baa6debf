"""The bundled fonts (templates_app/fonts/), font loading with a cache, glyph coverage and fallback,
and the check of uploaded brand fonts."""

import bisect
import io
import struct
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from os import PathLike
from pathlib import Path

from PIL import ImageFont

from templates_app.errors import TemplateSpecError
from templates_app.spec.formats import FONT_FAMILIES

FONTS_DIR = Path(__file__).resolve().parent.parent / "fonts"
MAX_FONT_BYTES = 5 * 1024 * 1024

_FAMILY_DIRS = {family: family.replace(" ", "") for family in FONT_FAMILIES}
_WEIGHT_NAMES = {
    "Thin": 100,
    "ExtraLight": 200,
    "Light": 300,
    "Regular": 400,
    "Medium": 500,
    "SemiBold": 600,
    "Bold": 700,
    "ExtraBold": 800,
    "Black": 900,
}
SERIF_FAMILIES = frozenset({"Playfair Display", "Noto Serif"})
DEFAULT_FAMILY = "Inter"

FontSource = str | PathLike | Mapping[int, str | PathLike]


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, dict[int, Path]]:
    catalogue: dict[str, dict[int, Path]] = {}
    for family, folder in _FAMILY_DIRS.items():
        faces = {}
        for path in sorted((FONTS_DIR / folder).glob("*.ttf")):
            weight = _WEIGHT_NAMES.get(path.stem.rsplit("-", 1)[-1])
            if weight:
                faces[weight] = path
        if faces:
            catalogue[family] = dict(sorted(faces.items()))
    return catalogue


def available_fonts() -> dict[str, dict[int, Path]]:
    """Bundled family -> {weight: font file}, in the brand kit's order."""
    return {family: dict(faces) for family, faces in _catalogue().items()}


def nearest_weight(weights: Iterable[int], wanted: int) -> int:
    """The available weight CSS font matching would pick for `wanted`."""
    weights = sorted(set(weights))
    if wanted in weights:
        return wanted
    below = [w for w in reversed(weights) if w < wanted]
    above = [w for w in weights if w > wanted]
    if 400 <= wanted <= 500:
        order = [w for w in above if w <= 500] + below + [w for w in above if w > 500]
    elif wanted < 400:
        order = below + above
    else:
        order = above + below
    return order[0]


def family_faces(family: str, extra_fonts: Mapping[str, FontSource] | None = None) -> dict[int, Path] | None:
    """The faces of a family: an uploaded brand font first (it may shadow a bundled name), then the bundle."""
    if extra_fonts and family in extra_fonts:
        source = extra_fonts[family]
        if isinstance(source, Mapping):
            return {int(weight): Path(path) for weight, path in source.items()}
        return {400: Path(source)}
    return _catalogue().get(family)


def face_path(family: str, weight: int, extra_fonts: Mapping[str, FontSource] | None = None) -> Path | None:
    faces = family_faces(family, extra_fonts)
    if not faces:
        return None
    return faces[nearest_weight(faces, weight)]


@lru_cache(maxsize=512)
def load_font(path: str, size: float) -> ImageFont.FreeTypeFont:
    """A FreeType font at a size, shaped with raqm (HarfBuzz: kerning, ligatures, Arabic joining)."""
    return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.RAQM)


# -- glyph coverage ---------------------------------------------------------------------------


def _tables(data: bytes) -> dict[bytes, tuple[int, int]]:
    """The sfnt table directory: tag -> (offset, length). Raises ValueError when damaged."""
    if len(data) < 12:
        raise ValueError("too short")
    (num_tables,) = struct.unpack_from(">H", data, 4)
    if not 0 < num_tables < 200 or len(data) < 12 + 16 * num_tables:
        raise ValueError("bad table directory")
    tables = {}
    for i in range(num_tables):
        tag, _checksum, offset, length = struct.unpack_from(">4sLLL", data, 12 + 16 * i)
        if offset + length > len(data):
            raise ValueError(f"table {tag!r} runs past the end of the file")
        tables[tag] = (offset, length)
    return tables


def _cmap_ranges(data: bytes) -> list[tuple[int, int]]:
    """The code point ranges a font maps to glyphs, from its best Unicode cmap subtable."""
    offset, _length = _tables(data)[b"cmap"]
    (count,) = struct.unpack_from(">H", data, offset + 2)
    subtables = {}
    for i in range(count):
        platform, encoding, sub_offset = struct.unpack_from(">HHL", data, offset + 4 + 8 * i)
        subtables[(platform, encoding)] = offset + sub_offset
    for key in ((3, 10), (0, 6), (0, 4), (3, 1), (0, 3), (0, 2), (0, 1), (0, 0)):
        if key not in subtables:
            continue
        start = subtables[key]
        (fmt,) = struct.unpack_from(">H", data, start)
        if fmt == 12:
            (groups,) = struct.unpack_from(">L", data, start + 12)
            ranges = [struct.unpack_from(">LL", data, start + 16 + 12 * g) for g in range(groups)]
            return _merge(ranges)
        if fmt == 4:
            return _merge(_format4_ranges(data, start))
    raise ValueError("no Unicode character map")


def _format4_ranges(data: bytes, start: int) -> list[tuple[int, int]]:
    (seg_x2,) = struct.unpack_from(">H", data, start + 6)
    segs = seg_x2 // 2
    ends = struct.unpack_from(f">{segs}H", data, start + 14)
    starts_at = start + 16 + seg_x2
    starts = struct.unpack_from(f">{segs}H", data, starts_at)
    deltas = struct.unpack_from(f">{segs}h", data, starts_at + seg_x2)
    range_offsets_at = starts_at + 2 * seg_x2
    range_offsets = struct.unpack_from(f">{segs}H", data, range_offsets_at)
    ranges = []
    for i in range(segs):
        first, last = starts[i], ends[i]
        if first == 0xFFFF:
            continue
        if range_offsets[i] == 0:
            # glyph = (c + delta) mod 65536: only one code point of the segment can land on glyph 0.
            unmapped = -deltas[i] & 0xFFFF
            if first <= unmapped <= last:
                ranges.extend(r for r in ((first, unmapped - 1), (unmapped + 1, last)) if r[0] <= r[1])
            else:
                ranges.append((first, last))
            continue
        for c in range(first, last + 1):
            at = range_offsets_at + 2 * i + range_offsets[i] + 2 * (c - first)
            if at + 2 <= len(data) and struct.unpack_from(">H", data, at)[0]:
                ranges.append((c, c))
    return ranges


def _merge(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return [(a, b) for a, b in merged]


@lru_cache(maxsize=64)
def _coverage(path: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    ranges = _cmap_ranges(Path(path).read_bytes())
    return tuple(a for a, _ in ranges), tuple(b for _, b in ranges)


def _ignorable(char: str) -> bool:
    """Characters a font need not have: spaces, joiners and direction marks, variation selectors."""
    code = ord(char)
    return (
        char.isspace() or unicodedata.category(char) == "Cf" or 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF
    )


def missing_glyphs(path: str | Path, text: str) -> int:
    """How many characters of `text` the font at `path` has no glyph for."""
    try:
        starts, ends = _coverage(str(path))
    except (OSError, ValueError, struct.error):
        return 0  # a font whose cmap we cannot read: trust FreeType and raqm
    missing = 0
    for char in set(text):
        if _ignorable(char):
            continue
        code = ord(char)
        i = bisect.bisect_right(starts, code) - 1
        if i < 0 or code > ends[i]:
            missing += text.count(char)
    return missing


def _script_family(text: str) -> str | None:
    for char in text:
        code = ord(char)
        if (
            0x0600 <= code <= 0x06FF
            or 0x0750 <= code <= 0x077F
            or 0x08A0 <= code <= 0x08FF
            or 0xFB50 <= code <= 0xFDFF
            or 0xFE70 <= code <= 0xFEFF
        ):
            return "Noto Sans Arabic"
        if 0x0590 <= code <= 0x05FF or 0xFB1D <= code <= 0xFB4F:
            return "Noto Sans Hebrew"
    return None


def choose_face(
    text: str, family: str, weight: int, extra_fonts: Mapping[str, FontSource] | None = None
) -> tuple[str, Path]:
    """The family and font file to draw a whole text run with.

    The chosen family when it has a glyph for every character; otherwise the first Noto family
    that does (the one for the text's script, then Noto Serif for a serif choice, then Noto Sans);
    when none covers everything, the one that misses fewest.
    """
    candidates = [family]
    script = _script_family(text)
    if script:
        candidates.append(script)
    if family in SERIF_FAMILIES:
        candidates.append("Noto Serif")
    candidates.append("Noto Sans")
    best: tuple[int, str, Path] | None = None
    for candidate in dict.fromkeys(candidates):
        path = face_path(candidate, weight, extra_fonts)
        if path is None:
            continue
        missing = missing_glyphs(path, text)
        if missing == 0:
            return candidate, path
        if best is None or missing < best[0]:
            best = (missing, candidate, path)
    if best is None:
        return DEFAULT_FAMILY, face_path(DEFAULT_FAMILY, weight)
    return best[1], best[2]


# -- uploaded brand fonts -----------------------------------------------------------------------

_SFNT_SIGNATURES = (b"\x00\x01\x00\x00", b"OTTO", b"true")
_REQUIRED_TABLES = (b"cmap", b"head", b"hhea", b"hmtx", b"maxp", b"name")


@dataclass(frozen=True)
class FontFace:
    """What an uploaded font file holds: its family, weight (100-900), whether it is italic, and
    its kind ('ttf' for TrueType outlines, 'otf' for CFF)."""

    family: str
    weight: int
    italic: bool
    kind: str


def _weight_class(data: bytes, tables: dict[bytes, tuple[int, int]]) -> int:
    """The OS/2 usWeightClass as a CSS weight (100-900); 400 when the font does not say."""
    offset, length = tables.get(b"OS/2", (0, 0))
    if length < 6:
        return 400
    (weight,) = struct.unpack_from(">H", data, offset + 4)
    if 1 <= weight <= 9:  # some old fonts give the weight in hundreds
        weight *= 100
    if not 1 <= weight <= 1000:
        return 400
    return min(900, max(100, (weight + 50) // 100 * 100))


def _is_italic(data: bytes, tables: dict[bytes, tuple[int, int]], style_name: str) -> bool:
    """Italic (or oblique) by the OS/2 fsSelection bits, else the head macStyle bit, else the style name."""
    offset, length = tables.get(b"OS/2", (0, 0))
    if length >= 64:
        (selection,) = struct.unpack_from(">H", data, offset + 62)
        return bool(selection & 0x0001 or selection & 0x0200)
    offset, length = tables.get(b"head", (0, 0))
    if length >= 46:
        (mac_style,) = struct.unpack_from(">H", data, offset + 44)
        return bool(mac_style & 0x0002)
    return any(word in style_name.lower() for word in ("italic", "oblique"))


def describe_font_file(data: bytes) -> FontFace:
    """Check an uploaded brand font (as validate_font_file does) and say which face it is."""
    family = validate_font_file(data)
    tables = _tables(data)
    _family, style_name = ImageFont.truetype(io.BytesIO(data), 12).getname()
    return FontFace(
        family=family,
        weight=_weight_class(data, tables),
        italic=_is_italic(data, tables, style_name or ""),
        kind="otf" if data[:4] == b"OTTO" else "ttf",
    )


def validate_font_file(data: bytes) -> str:
    """Check an uploaded brand font and return its family name.

    It must be a single TrueType or OpenType font (TTF/OTF, not a web font or a collection) of at
    most 5 MB, whole (every table inside the file, the tables a font needs present), that FreeType
    opens and draws with, and that names its family. Raises TemplateSpecError otherwise.
    """

    def refuse(message: str) -> TemplateSpecError:
        return TemplateSpecError([("font", message)], code="invalid_font")

    if not data:
        raise refuse("The file is empty.")
    if len(data) > MAX_FONT_BYTES:
        raise refuse(f"The font file is {len(data) / 1024 / 1024:.1f} MB; fonts may be at most 5 MB.")
    signature = data[:4]
    if signature in (b"wOFF", b"wOF2"):
        raise refuse("This is a WOFF web font; upload the TTF or OTF file instead.")
    if signature == b"ttcf":
        raise refuse("This is a font collection (TTC); upload a single TTF or OTF font.")
    if signature not in _SFNT_SIGNATURES:
        raise refuse("This is not a TrueType or OpenType font file (TTF or OTF).")
    try:
        tables = _tables(data)
    except (ValueError, struct.error) as exc:
        raise refuse("The font file is damaged or cut short.") from exc
    missing = [tag.decode() for tag in _REQUIRED_TABLES if tag not in tables]
    if not (b"glyf" in tables and b"loca" in tables) and b"CFF " not in tables and b"CFF2" not in tables:
        missing.append("glyf or CFF")
    if missing:
        raise refuse(f"The font file is damaged or incomplete (missing {', '.join(missing)}).")
    try:
        font = ImageFont.truetype(io.BytesIO(data), 48, layout_engine=ImageFont.Layout.RAQM)
        family, _style = font.getname()
        font.getbbox("Hamburgefonstiv 0123")
        font.getmask("Ag")
    except (OSError, ValueError) as exc:
        raise refuse("FreeType could not read this font file.") from exc
    if not family or not family.strip():
        raise refuse("The font does not name its family.")
    try:
        _cmap_ranges(data)
    except (ValueError, struct.error, KeyError) as exc:
        raise refuse("The font has no Unicode character map, so it cannot draw text.") from exc
    return family.strip()
