"""Text: direction, wrapping, fitting a text into its box, and drawing it.

Vertical model: lines sit `size * line_height` apart, baseline to baseline. The text block runs
from the cap height of the first line to the baseline of the last (so `valign: top` puts the tops
of capitals on the top of the box, `bottom` puts the last baseline on its bottom), widened to the
real ink of the lines where accents rise above the capitals or descenders drop below the
baseline. Horizontally a line spans its advance width, widened to its ink where a glyph
overhangs. The block always lies inside the box, so the ink does too.

Fitting: word widths are measured once at the largest size and scaled to estimate every other
size (HarfBuzz advances scale linearly with the size); a binary search on the estimates finds the
largest size at which the text wraps into `max_lines` inside the box; that size is then checked
with exact measurements of the wrapped lines, stepping down if the estimate was optimistic. Lines
of a multi-line text are balanced (the narrowest width that keeps the same number of lines), as
CSS `text-wrap: balance` does for headlines.
"""

import math
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw

from .fonts import load_font

RTL_CLASSES = frozenset({"R", "AL"})
ZWJ = "\u200d"


def detect_direction(text: str) -> str:
    """'rtl' when the first character with a strong direction is right-to-left, else 'ltr'."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in RTL_CLASSES:
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


def prepare_text(text: str, transform: str = "none") -> str:
    """NFC, one space between words, no blank lines at the ends; upper case for transform 'upper'."""
    text = unicodedata.normalize("NFC", text or "")
    if transform == "upper":
        text = text.upper()
    paragraphs = [" ".join(line.split()) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(paragraphs).strip("\n ")


def graphemes(text: str) -> list[str]:
    """Approximate grapheme clusters: a base character with its combining marks and joiner sequences."""
    clusters: list[str] = []
    for char in text:
        joins = clusters and (
            unicodedata.category(char) in ("Mn", "Me", "Mc")
            or char == ZWJ
            or clusters[-1].endswith(ZWJ)
            or 0xFE00 <= ord(char) <= 0xFE0F
        )
        if joins:
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


@lru_cache(maxsize=8192)
def _measure(path: str, size: float, direction: str, text: str) -> tuple[float, tuple[int, int, int, int]]:
    """(advance, ink bbox relative to the pen at the baseline) of a run of text."""
    font = load_font(path, size)
    if not text:
        return 0.0, (0, 0, 0, 0)
    return font.getlength(text, direction=direction), font.getbbox(text, anchor="ls", direction=direction)


@lru_cache(maxsize=256)
def _cap_height(path: str, size: float) -> float:
    font = load_font(path, size)
    top = font.getbbox("H", anchor="ls")[1]
    return -top if top < 0 else font.getmetrics()[0] * 0.7


@dataclass
class LineBox:
    text: str
    advance: float
    left: float  # min(0, ink left): where the line starts, relative to the pen
    right: float  # max(advance, ink right)
    top: float  # ink top relative to the baseline (negative is above)
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left


@dataclass
class TextLayout:
    """Lines of a text at one size, measured exactly: enough to place and draw them."""

    path: str
    family: str
    size: float
    direction: str
    line_advance: float
    letter_spacing: float
    lines: list[LineBox]
    top: float = 0.0  # block top relative to the first baseline
    bottom: float = 0.0  # block bottom relative to the first baseline
    width: float = 0.0
    height: float = 0.0
    texts: list[str] = field(default_factory=list)


@lru_cache(maxsize=1024)
def _spaced(
    path: str, size: float, direction: str, text: str, spacing: float
) -> tuple[tuple[tuple[str, float], ...], float, tuple[float, float, float, float]]:
    """A letter-spaced run: each cluster with its pen offset, the advance, and the ink box.

    Each cluster sits where the whole run would put it (kerning kept) plus `spacing` per cluster
    before it. The ink box is the union of the clusters' boxes, widened by a pixel on each side
    for the sub-pixel start Pillow draws a cluster at."""
    font = load_font(path, size)
    placed = []
    prefix = ""
    x0 = y0 = math.inf
    x1 = y1 = -math.inf
    for k, cluster in enumerate(graphemes(text)):
        offset = font.getlength(prefix, direction=direction) + k * spacing
        prefix += cluster
        placed.append((cluster, offset))
        if cluster.isspace():
            continue
        b0, b1, b2, b3 = font.getbbox(cluster, anchor="ls", direction=direction)
        x0, y0, x1, y1 = min(x0, offset + b0 - 1), min(y0, b1), max(x1, offset + b2 + 1), max(y1, b3)
    advance = font.getlength(text, direction=direction) + spacing * (len(placed) - 1)
    if x0 == math.inf:
        x0 = y0 = x1 = y1 = 0.0
    return tuple(placed), advance, (x0, y0, x1, y1)


def measure_layout(
    path: str, family: str, size: float, lines: list[str], *, direction: str, line_height: float, letter_spacing: float
) -> TextLayout:
    advance = size * line_height
    boxes = []
    for text in lines:
        if letter_spacing and text:
            _, width, (x0, y0, x1, y1) = _spaced(path, size, direction, text, letter_spacing)
        else:
            width, (x0, y0, x1, y1) = _measure(path, size, direction, text)
        boxes.append(LineBox(text, width, min(0.0, x0), max(width, x1), y0, y1))
    cap = _cap_height(path, size)
    top = min([-cap] + [i * advance + b.top for i, b in enumerate(boxes)])
    bottom = max([(len(boxes) - 1) * advance] + [i * advance + b.bottom for i, b in enumerate(boxes)])
    layout = TextLayout(path, family, size, direction, advance, letter_spacing, boxes, top, bottom, texts=list(lines))
    layout.width = max((b.width for b in boxes), default=0.0)
    layout.height = bottom - top
    return layout


class NoFit(Exception):
    """The text cannot fit at the smallest size; the caller raises TextDoesNotFit with slot and format."""

    def __init__(self, overflow_lines: int, overflow_px: int, size: float) -> None:
        super().__init__(overflow_lines, overflow_px)
        self.overflow_lines = overflow_lines
        self.overflow_px = overflow_px
        self.size = size


@dataclass
class _Word:
    text: str
    width: float  # at the reference size, without letter spacing
    top: float
    bottom: float
    clusters: int


class _Estimator:
    """Word metrics at a reference size, scaled to estimate wrapping at any size."""

    def __init__(self, path: str, text: str, ref_size: float, direction: str, letter_spacing: float) -> None:
        self.path, self.ref, self.direction, self.spacing = path, ref_size, direction, letter_spacing
        self.paragraphs = [[self.word(w) for w in p.split(" ") if w] for p in text.split("\n")]
        self.space = _measure(path, ref_size, direction, " ")[0]
        self.cap = _cap_height(path, ref_size)

    def word(self, text: str) -> _Word:
        width, (_x0, y0, _x1, y1) = _measure(self.path, self.ref, self.direction, text)
        return _Word(text, width, y0, y1, len(graphemes(text)))

    def wrap(
        self, size: float, width: float, *, allow_breaks: bool = True
    ) -> tuple[list[str], list[tuple[float, float]]] | None:
        """Lines (and their estimated ink top/bottom) at `size` within `width`.

        None when a word is wider than the line and `allow_breaks` is off, or when a single
        grapheme cluster is wider than the line."""
        k = size / self.ref
        space = self.space * k + 2 * self.spacing  # the space is a cluster: spacing before and after it
        lines: list[str] = []
        extents: list[tuple[float, float]] = []
        for words in self.paragraphs:
            if not words:
                lines.append("")
                extents.append((0.0, 0.0))
                continue
            current: list[_Word] = []
            current_width = 0.0
            for word in words:
                word_width = word.width * k + self.spacing * (word.clusters - 1)
                if current and current_width + space + word_width <= width:
                    current.append(word)
                    current_width += space + word_width
                    continue
                if current:
                    lines.append(" ".join(w.text for w in current))
                    extents.append((min(w.top for w in current) * k, max(w.bottom for w in current) * k))
                if word_width <= width:
                    current, current_width = [word], word_width
                    continue
                pieces = self.break_word(word.text, size, width) if allow_breaks else None
                if pieces is None:
                    return None
                for piece in pieces[:-1]:
                    lines.append(piece)
                    extents.append((word.top * k, word.bottom * k))
                last = self.word(pieces[-1])
                current, current_width = [last], last.width * k + self.spacing * (last.clusters - 1)
            lines.append(" ".join(w.text for w in current))
            extents.append((min(w.top for w in current) * k, max(w.bottom for w in current) * k))
        return lines, extents

    def break_word(self, text: str, size: float, width: float) -> list[str] | None:
        """A word too wide for a line, broken between grapheme clusters (never dropped)."""
        pieces: list[str] = []
        current = ""
        for cluster in graphemes(text):
            candidate = current + cluster
            w = _measure(self.path, self.ref, self.direction, candidate)[0] * size / self.ref
            w += self.spacing * (len(graphemes(candidate)) - 1)
            if w <= width or not current:
                if not current and w > width:
                    return None  # one cluster wider than the box
                current = candidate
            else:
                pieces.append(current)
                current = cluster
        pieces.append(current)
        return pieces

    def block_height(self, size: float, lines: list[tuple[float, float]], line_height: float) -> float:
        advance = size * line_height
        top = min([-self.cap * size / self.ref] + [i * advance + t for i, (t, _) in enumerate(lines)])
        bottom = max([(len(lines) - 1) * advance] + [i * advance + b for i, (_, b) in enumerate(lines)])
        return bottom - top


def _balance(estimator: _Estimator, size: float, width: float, count: int, allow_breaks: bool) -> float:
    """The narrowest width (down to half the box) that still wraps into `count` lines."""
    low, high = width * 0.5, width
    for _ in range(12):
        mid = (low + high) / 2
        wrapped = estimator.wrap(size, mid, allow_breaks=allow_breaks)
        if wrapped is not None and len(wrapped[0]) <= count:
            high = mid
        else:
            low = mid
    return high


def fit_text(
    text: str,
    *,
    path: Path | str,
    family: str,
    box_width: float,
    box_height: float,
    size_range: tuple[float, float],
    line_height: float,
    max_lines: int,
    letter_spacing: float,
    direction: str,
    balance: bool = True,
) -> TextLayout:
    """The largest size in `size_range` at which `text` fits the box within `max_lines`; raises NoFit."""
    path = str(path)
    low, high = size_range
    sizes = list(range(math.ceil(low), math.floor(high) + 1)) or [low]
    estimator = _Estimator(path, text, float(sizes[-1]), direction, letter_spacing)

    breaks = False  # words are broken inside only when no size lets every word fit whole

    def estimate(size: float, width: float = box_width):
        wrapped = estimator.wrap(size, width, allow_breaks=breaks)
        if wrapped is None:
            return None
        lines, extents = wrapped
        fits = len(lines) <= max_lines and estimator.block_height(size, extents, line_height) <= box_height
        return lines if fits else None

    def search() -> int:
        """Binary search on the estimates: the largest index whose size fits, or -1."""
        lo, hi, found = 0, len(sizes) - 1, -1
        while lo <= hi:
            mid = (lo + hi) // 2
            if estimate(sizes[mid]) is not None:
                found, lo = mid, mid + 1
            else:
                hi = mid - 1
        return found

    found = search()
    if found < 0:
        breaks = True
        found = search()
    # Check exactly, stepping down while an estimate was optimistic.
    for index in range(max(found, 0), -1, -1) if found >= 0 else ():
        size = sizes[index]
        lines = estimate(size)
        if lines is None:
            continue
        if balance and len(lines) > 1 and "\n" not in text:
            narrow = _balance(estimator, size, box_width, len(lines), breaks)
            balanced = estimate(size, narrow)
            if balanced is not None and len(balanced) == len(lines):
                lines = balanced
        layout = measure_layout(
            path, family, size, lines, direction=direction, line_height=line_height, letter_spacing=letter_spacing
        )
        if layout.width <= box_width + 1e-6 and layout.height <= box_height + 1e-6:
            return layout
        plain = estimate(size)
        if plain is not None and plain != lines:
            layout = measure_layout(
                path, family, size, plain, direction=direction, line_height=line_height, letter_spacing=letter_spacing
            )
            if layout.width <= box_width + 1e-6 and layout.height <= box_height + 1e-6:
                return layout
    raise _overflow(estimator, sizes[0], box_width, box_height, line_height, max_lines)


def _overflow(
    estimator: _Estimator, size: float, width: float, height: float, line_height: float, max_lines: int
) -> NoFit:
    wrapped = estimator.wrap(size, width, allow_breaks=True)
    if wrapped is None:  # a single character wider than the box
        widest = max(
            (
                _measure(estimator.path, size, estimator.direction, c)[0]
                for c in graphemes(" ".join(w.text for p in estimator.paragraphs for w in p))
            ),
            default=0.0,
        )
        return NoFit(0, max(1, math.ceil(widest - width)), size)
    lines, extents = wrapped
    over_lines = max(0, len(lines) - max_lines)
    over_px = max(0, math.ceil(estimator.block_height(size, extents, line_height) - height))
    if not over_lines and not over_px:
        over_px = 1  # the estimate fitted but the exact measurement did not
    return NoFit(over_lines, over_px, size)


def place_lines(
    layout: TextLayout, box: tuple[float, float, float, float], align: str, valign: str
) -> list[tuple[float, float]]:
    """Pen positions (x, baseline y) of each line so the block sits in `box` as aligned."""
    x, y, w, h = box
    if valign == "top":
        first_baseline = y - layout.top
    elif valign == "bottom":
        first_baseline = y + h - layout.bottom
    else:
        first_baseline = y + (h - layout.height) / 2 - layout.top
    positions = []
    for i, line in enumerate(layout.lines):
        if align == "left":
            pen = x - line.left
        elif align == "right":
            pen = x + w - line.right
        else:
            pen = x + (w - line.width) / 2 - line.left
        positions.append((pen, first_baseline + i * layout.line_advance))
    return positions


def rasterize_layout(
    layout: TextLayout, positions: list[tuple[float, float]]
) -> tuple[Image.Image, tuple[int, int], tuple[int, int, int, int]] | None:
    """The lines drawn at their positions as an 8-bit coverage mask.

    Returns the mask, where its top-left corner lies (in the coordinates of `positions`), and the
    ink box: the bounding box of the pixels the glyphs actually cover, exactly. None when no line
    has text.

    The mask spans the lines' measured boxes (which hold their ink) plus a pixel, so nothing is
    clipped; it is placed on whole pixels, so each line keeps the fractional part of its pen
    position and is rasterised exactly as it would be straight onto the canvas. The ink box comes
    from the mask itself: measured boxes are whole pixels taken at a whole-pixel origin, and Pillow
    counts the advance as part of the box, so boxes computed from them (and then placed at a
    fractional position and rounded outwards) can overstate the ink by a pixel or more.
    """
    runs: list[tuple[str, float, float]] = []  # (text, pen x, baseline y) for each drawn run
    x0 = y0 = math.inf
    x1 = y1 = -math.inf
    for line, (pen, baseline) in zip(layout.lines, positions, strict=True):
        if not line.text:
            continue
        if layout.letter_spacing:
            placed, _, _ = _spaced(layout.path, layout.size, layout.direction, line.text, layout.letter_spacing)
            runs.extend((cluster, pen + offset, baseline) for cluster, offset in placed if not cluster.isspace())
        else:
            runs.append((line.text, pen, baseline))
        x0, y0 = min(x0, pen + line.left), min(y0, baseline + line.top)
        x1, y1 = max(x1, pen + line.right), max(y1, baseline + line.bottom)
    if not runs:
        return None
    left, top = math.floor(x0) - 1, math.floor(y0) - 1
    mask = Image.new("L", (math.ceil(x1) + 1 - left, math.ceil(y1) + 1 - top), 0)
    draw = ImageDraw.Draw(mask)
    font = load_font(layout.path, layout.size)
    for text, pen, baseline in runs:
        draw.text((pen - left, baseline - top), text, font=font, fill=255, anchor="ls", direction=layout.direction)
    ink = mask.getbbox()
    if ink is None:
        return None  # only glyphs without ink (a font drawing blanks)
    return mask, (left, top), (ink[0] + left, ink[1] + top, ink[2] + left, ink[3] + top)
