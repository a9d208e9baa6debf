"""Vectorize's logo preset: per-colour IoU of the SVG rasterised back against the original, on a
generated set of logos, and the time per logo.

    .venv/bin/python benchmarks/vectorize.py [--count 24] [--size 512]

The set (tests/generations/image_samples.py): flat logos on white, anti-aliased, in turn a disc
with an inner disc, a ring around a star, a word on a rounded panel, and a triangle beside a
rounded square, in two of five brand colours. Each is traced by generations.imageops.vectorize
(the product's path) from the anti-aliased image, the SVG rasterised back by resvg at 4x, and
compared with the exact 4x drawing the image was reduced from (every pixel assigned to its
nearest logo colour); the IoU is taken per colour. Target (issue 12,
item 19): every colour of every logo at 0.97 or better.
"""

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

import resvg_py
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generations import imageops  # noqa: E402
from tests.generations.image_samples import colour_ious, logo  # noqa: E402

KINDS = ("circle", "ring", "text", "shapes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=24)
    parser.add_argument("--size", type=int, default=512)
    args = parser.parse_args()
    by_kind: dict[str, list[float]] = {kind: [] for kind in KINDS}
    times, sizes = [], []
    for seed in range(args.count):
        image, colours, drawing = logo(seed, args.size)
        started = time.perf_counter()
        svg = imageops.vectorize(image)
        times.append(time.perf_counter() - started)
        sizes.append(len(svg.encode()))
        png = resvg_py.svg_to_bytes(svg_string=svg, width=drawing.width, height=drawing.height, background="#ffffff")
        back = Image.open(io.BytesIO(bytes(png))).convert("RGB")
        by_kind[KINDS[seed % 4]] += colour_ious(drawing, back, colours)
    print(f"Vectorize, logo preset: {args.count} logos of {args.size}x{args.size}")
    print(f"{'logo':<8} {'min IoU':>8} {'mean IoU':>9}")
    for kind, scores in by_kind.items():
        if scores:
            print(f"{kind:<8} {min(scores):>8.4f} {statistics.mean(scores):>9.4f}")
    every = [score for scores in by_kind.values() for score in scores]
    print(f"{'all':<8} {min(every):>8.4f} {statistics.mean(every):>9.4f}")
    print(
        f"time per logo: median {statistics.median(times):.2f} s, max {max(times):.2f} s; SVG median {statistics.median(sizes) / 1024:.1f} KB"
    )
    print("target (every colour IoU >= 0.97):", "met" if min(every) >= 0.97 else "NOT met")


if __name__ == "__main__":
    main()
