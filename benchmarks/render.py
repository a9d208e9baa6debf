"""How long the ad renderer takes, beside Pillow drawing the same picture by hand.

    .venv/bin/python benchmarks/render.py [--iterations 30] [--template SLUG]

The renderer (templates_app.renderer.render_ad + encode_image as PNG) draws a typical template
built here: a gradient background, a pattern, a turned panel, a product photo with rounded
corners, a two-line headline, a body text, a button and a logo. The reference draws the same
picture with plain Pillow calls and no layout work: the text lines the renderer chose, at the
sizes and positions it chose, the shapes and pattern dots with their coordinates written in,
the photo and logo resized to their boxes (Pillow's default filter), a gradient from
Image.linear_gradient; then the same PNG encode. Both are measured in the same run, alternating, after one warm-up each; the figures are
medians.

Rows:
- 1:1 render + PNG: the same inputs every time (fonts, masks, gradients and word measurements
  cached, as when one template is rendered again);
- 1:1 render + PNG, new texts: a different headline and body every iteration, so text is
  measured afresh each time (a worker rendering many users' texts);
- 4-format set: 1:1, 4:5, 9:16 and 16:9 (the last three adapted from 1:1), each PNG-encoded,
  beside the four references.

When templates_app/library/ holds templates, the first one (or --template SLUG) is timed too.

Targets (issue acceptance 3): 1:1 below 150 ms and within 1.5x of the reference; the 4-format set
below 600 ms. Needs no database and no Django settings.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageOps

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from templates_app.renderer import RenderInputs, encode_image, render_ad  # noqa: E402
from templates_app.renderer.fonts import face_path, load_font  # noqa: E402
from templates_app.renderer.paint import parse_hex  # noqa: E402
from templates_app.spec import FORMAT_KEYS, FORMATS, complete_formats  # noqa: E402

TARGET_MS = 150
TARGET_RATIO = 1.5
TARGET_SET_MS = 600

HEADLINES = [
    "Summer sale: up to 50% off",
    "Fresh coffee, baked daily",
    "New season, new looks",
    "Book your free trial class",
    "Weekend brunch is back",
    "Your dream home awaits",
]
BODIES = [
    "Everything in store and online until Sunday.",
    "Order ahead and skip the queue every morning.",
    "Free delivery on orders over $50 this week.",
    "Join 2,000 members who train with us.",
]


def typical_spec() -> dict:
    return {
        "version": 1,
        "slots": {
            "headline": {"type": "text", "label": "Headline", "default": HEADLINES[0], "max_chars": 40},
            "body": {"type": "text", "label": "Details", "default": BODIES[0], "max_chars": 90},
            "cta": {"type": "text", "label": "Button", "default": "Shop now", "max_chars": 18},
            "photo": {"type": "image", "label": "Product photo", "role": "product"},
            "logo": {"type": "image", "label": "Logo", "role": "logo"},
            "accent": {"type": "color", "label": "Accent", "default": "brand.accent"},
        },
        "formats": {
            "1:1": {
                "background": "brand.background",
                "layers": [
                    {
                        "type": "shape",
                        "box": [0, 0, 1080, 1080],
                        "fill": {"gradient": "linear", "angle": 180, "stops": [[0, "brand.primary"], [1, "#0B1F33"]]},
                    },
                    {
                        "type": "pattern",
                        "pattern": "dots",
                        "box": [40, 660, 320, 320],
                        "color": "#FFFFFF30",
                        "spacing": 32,
                        "size": 8,
                    },
                    {
                        "type": "shape",
                        "shape": "circle",
                        "box": [600, 60, 440, 440],
                        "fill": "slot.accent",
                        "opacity": 0.9,
                    },
                    {
                        "type": "shape",
                        "shape": "rounded_rect",
                        "box": [560, 150, 440, 580],
                        "radius": 36,
                        "fill": "#FFFFFF",
                        "rotate": 4,
                    },
                    {
                        "type": "image",
                        "slot": "photo",
                        "box": [575, 165, 410, 550],
                        "fit": "cover",
                        "focal": [0.5, 0.45],
                        "radius": 28,
                    },
                    {
                        "type": "text",
                        "slot": "headline",
                        "box": [72, 120, 450, 330],
                        "font": "brand.heading",
                        "weight": 800,
                        "size": [48, 96],
                        "line_height": 1.05,
                        "max_lines": 3,
                        "color": "#FFFFFF",
                    },
                    {
                        "type": "text",
                        "slot": "body",
                        "box": [72, 480, 440, 150],
                        "font": "brand.body",
                        "size": [24, 34],
                        "line_height": 1.35,
                        "max_lines": 3,
                        "color": "#FFFFFFD9",
                    },
                    {
                        "type": "button",
                        "slot": "cta",
                        "box": [72, 850, 340, 104],
                        "font": "brand.body",
                        "weight": 700,
                        "size": [26, 40],
                        "fill": "slot.accent",
                        "color": "#0B1F33",
                    },
                    {"type": "image", "slot": "logo", "box": [760, 880, 260, 100], "fit": "contain"},
                ],
            }
        },
    }


def photo() -> Image.Image:
    """A detailed 1600 x 1200 stand-in for a product photo (PNG cost depends on detail)."""
    base = Image.effect_mandelbrot((1600, 1200), (-2.2, -1.2, 1.0, 1.2), 120)
    warm = ImageOps.colorize(base, black=(40, 20, 10), white=(250, 215, 170), mid=(190, 90, 60))
    gradient = Image.linear_gradient("L").resize((1600, 1200)).convert("RGB")
    return Image.blend(warm, gradient, 0.25)


def logo() -> Image.Image:
    image = Image.new("RGBA", (520, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, 519, 199), radius=40, fill=(255, 255, 255, 235))
    draw.ellipse((30, 40, 150, 160), fill=(241, 143, 1, 255))
    return image


# -- the reference: the same picture by hand ---------------------------------------------------


class Reference:
    """Pillow drawing the renderer's picture with every coordinate written in: no layout work."""

    def __init__(self, spec: dict, key: str, inputs: RenderInputs) -> None:
        result = render_ad(spec, key, inputs)  # once, to learn the lines, sizes and positions
        self.size = result.image.size
        layout = complete_formats(spec)[0]["formats"][key]["layers"]
        boxes = {index: layer["box"] for index, layer in enumerate(layout)}
        self.layers = layout
        self.lines = []
        for drawn in result.text_boxes:
            layer = layout[drawn.layer_index]
            font = load_font(str(face_path(drawn.font_family, layer["weight"])), drawn.font_size)
            left, top, _, _ = drawn.ink_box
            step = drawn.font_size * layer["line_height"]
            colour = parse_hex(layer["color"] if layer["color"].startswith("#") else "#FFFFFF")[:3]
            for i, line in enumerate(drawn.lines):
                self.lines.append(((left, top + i * step), line, font, colour))
        photo_box, logo_box = boxes[4], boxes[8]
        self.photo, self.photo_size = inputs.images["photo"], (photo_box[2], photo_box[3])
        self.photo_at = (photo_box[0], photo_box[1])
        self.logo, self.logo_size = inputs.images["logo"], (logo_box[2], round(logo_box[2] * 200 / 520))
        self.logo_at = (logo_box[0], logo_box[1])
        pattern = layout[1]["box"]
        self.dots = [
            (x, y)
            for x in range(pattern[0], pattern[0] + pattern[2], 32)
            for y in range(pattern[1], pattern[1] + pattern[3], 32)
        ]

    def draw(self) -> bytes:
        width, height = self.size
        ramp = Image.linear_gradient("L").resize((width, height))
        canvas = ImageOps.colorize(ramp, black=(46, 134, 171), white=(11, 31, 51))
        draw = ImageDraw.Draw(canvas)
        for x, y in self.dots:
            draw.ellipse((x, y, x + 8, y + 8), fill=(120, 150, 170))
        box = self.layers[2]["box"]
        draw.ellipse((box[0], box[1], box[0] + box[2], box[1] + box[3]), fill=(241, 143, 1))
        box = self.layers[3]["box"]
        draw.rounded_rectangle((box[0], box[1], box[0] + box[2], box[1] + box[3]), radius=36, fill=(255, 255, 255))
        canvas.paste(self.photo.resize(self.photo_size), self.photo_at)
        box = self.layers[7]["box"]
        draw.rounded_rectangle(
            (box[0], box[1], box[0] + box[2], box[1] + box[3]), radius=box[3] // 2, fill=(241, 143, 1)
        )
        logo = self.logo.resize(self.logo_size)
        canvas.paste(logo, self.logo_at, logo)
        for at, line, font, colour in self.lines:
            draw.text(at, line, font=font, fill=colour)
        return encode_image(canvas, "png")


def shipped_template(slug: str | None) -> tuple[str, dict] | None:
    """The named template of templates_app/library/, or its first one; None when there is none."""
    folder = ROOT / "templates_app" / "library"
    if slug:
        path = folder / f"{slug}.json"
    else:
        paths = sorted(p for p in folder.glob("*.json") if p.name != "categories.json")
        if not paths:
            return None
        path = paths[0]
    return path.stem, json.loads(path.read_text())["spec"]


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return (time.perf_counter() - start) * 1000


def median_of(samples: list[float]) -> float:
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--template", help="time this template of templates_app/library/ too (default: its first one)")
    args = parser.parse_args()
    n = args.iterations

    spec = typical_spec()
    inputs = RenderInputs(images={"photo": photo(), "logo": logo()})

    first = timed(lambda: encode_image(render_ad(spec, "1:1", inputs).image, "png"))
    references = {key: Reference(spec, key, inputs) for key in FORMAT_KEYS}

    def render(key: str, texts: dict | None = None) -> bytes:
        these = RenderInputs(texts=texts or {}, images=inputs.images) if texts else inputs
        return encode_image(render_ad(spec, key, these).image, "png")

    # Warm-up, then alternate renderer and reference so both see the same machine load.
    render("1:1")
    references["1:1"].draw()
    ours, theirs, fresh = [], [], []
    for i in range(n):
        ours.append(timed(lambda: render("1:1")))
        theirs.append(timed(references["1:1"].draw))
        texts = {"headline": f"{HEADLINES[i % len(HEADLINES)]} {i}", "body": BODIES[i % len(BODIES)] + f" Ref {i}."}
        fresh.append(timed(lambda texts=texts: render("1:1", texts)))
    set_ours, set_theirs = [], []
    for key in FORMAT_KEYS:
        render(key)
    for _ in range(max(5, n // 3)):
        set_ours.append(timed(lambda: [render(key) for key in FORMAT_KEYS]))
        set_theirs.append(timed(lambda: [references[key].draw() for key in FORMAT_KEYS]))

    rows = [
        ("1:1 render + PNG", median_of(ours), median_of(theirs)),
        ("1:1 render + PNG, new texts", median_of(fresh), median_of(theirs)),
        ("4-format set (3 adapted) + PNG", median_of(set_ours), median_of(set_theirs)),
    ]
    print(f"Ad renderer vs Pillow by hand, {n} iterations, medians in ms (PNG compress_level 6)\n")
    print(f"{'case':34} {'renderer':>9} {'reference':>10} {'ratio':>6}")
    for name, mine, reference in rows:
        print(f"{name:34} {mine:9.1f} {reference:10.1f} {mine / reference:6.2f}")
    print(f"\nfirst render in this process (fonts loaded, caches empty): {first:.1f} ms")

    shipped = shipped_template(args.template)
    if shipped:
        slug, shipped_spec = shipped
        images = {
            name: inputs.images["logo" if slot.get("role") == "logo" else "photo"]
            for name, slot in shipped_spec.get("slots", {}).items()
            if slot.get("type") == "image"
        }
        shipped_inputs = RenderInputs(images=images)
        first_format = next(iter(shipped_spec["formats"]))
        times = [
            timed(lambda: encode_image(render_ad(shipped_spec, first_format, shipped_inputs).image, "png"))
            for _ in range(n)
        ]
        print(f"shipped template {slug!r}, {first_format} render + PNG: {median_of(times):.1f} ms")

    size = FORMATS["1:1"].size
    verdicts = [
        (f"1:1 below {TARGET_MS} ms", rows[0][1] < TARGET_MS),
        (f"1:1 within {TARGET_RATIO}x of the reference", rows[0][1] <= TARGET_RATIO * rows[0][2]),
        (f"4-format set below {TARGET_SET_MS} ms", rows[2][1] < TARGET_SET_MS),
    ]
    print(f"\ntargets ({size[0]}x{size[1]}):")
    for name, ok in verdicts:
        print(f"  {'met' if ok else 'NOT MET':7} {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
