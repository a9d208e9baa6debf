"""Contact sheets of every shipped template in every format, to review the library by eye.

    .venv/bin/python scripts/contact_sheets.py [--out var/contact_sheets] [--palette NAME] [--watermark]

Writes one PNG per format (all templates side by side, labelled), rendered by the product's
renderer at a reduced scale, with the brand palette named by --palette (default: the default brand
kit; "hostile-light", "hostile-dark", "mid-grey" are the contrast test's palettes). --watermark
places the free plan's watermark as generations do. Prints the legibility changes the renderer made.
"""

import argparse
import json
import math
import sys
from pathlib import Path

import django
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PALETTES = {
    "default": None,
    "hostile-light": {
        "primary": "#F4F1EA",
        "secondary": "#FFFFFF",
        "accent": "#FFF3C4",
        "background": "#FAFAFA",
        "text": "#EDEDED",
    },
    "hostile-dark": {
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "var" / "contact_sheets"))
    parser.add_argument("--palette", default="default", choices=sorted(PALETTES))
    parser.add_argument("--scale", type=float, default=0.25)
    parser.add_argument("--watermark", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated template slugs")
    args = parser.parse_args()

    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "craftplatform.settings.local")
    django.setup()
    from generations.watermark import apply_watermark
    from templates_app.renderer import BrandStyle, RenderInputs, available_fonts, render_ad
    from templates_app.services.library import LIBRARY_DIR
    from templates_app.spec import FORMAT_KEYS

    colours = PALETTES[args.palette]
    brand = BrandStyle(colors=colours) if colours else BrandStyle.default()
    paths = sorted(p for p in Path(LIBRARY_DIR).glob("*.json") if p.name != "categories.json")
    if args.only:
        wanted = set(args.only.split(","))
        paths = [p for p in paths if p.stem in wanted]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    font = ImageFont.truetype(str(available_fonts()["Inter"][min(available_fonts()["Inter"])]), 14)
    for key in FORMAT_KEYS:
        tiles = []
        for path in paths:
            data = json.loads(path.read_text())
            result = render_ad(data["spec"], key, RenderInputs(brand=brand), scale=args.scale)
            image = result.image
            if args.watermark:
                image = apply_watermark(image, avoid=[b.box for b in result.layer_boxes])
            for note in result.adjustments:
                sys.stdout.write(f"{key:5} {path.stem}: {note}\n")
            tiles.append((path.stem, image))
        tw = max(t[1].width for t in tiles)
        th = max(t[1].height for t in tiles)
        cols = max(1, min(len(tiles), round(math.sqrt(len(tiles) * th / tw * 1.3))))
        rows = math.ceil(len(tiles) / cols)
        sheet = Image.new("RGB", (cols * (tw + 12) + 12, rows * (th + 32) + 12), (200, 200, 204))
        draw = ImageDraw.Draw(sheet)
        for i, (name, image) in enumerate(tiles):
            x, y = 12 + (i % cols) * (tw + 12), 12 + (i // cols) * (th + 32)
            sheet.paste(image, (x, y))
            draw.text((x, y + th + 4), name[:34], fill=(20, 20, 20), font=font)
        target = out / f"{args.palette}_{key.replace(':', 'x')}.png"
        sheet.save(target)
        sys.stdout.write(f"wrote {target}\n")


if __name__ == "__main__":
    main()
