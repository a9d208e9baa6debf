"""Issue 12, items 18 and 19: the built-in background removal and the vectorize logo preset, on
generated images with known answers (tests/generations/image_samples.py). Small sets here; the
full sets, with times, are benchmarks/background_removal.py and benchmarks/vectorize.py."""

import io

import numpy as np
import pytest
import resvg_py
from PIL import Image

from generations import imageops
from tests.generations.image_samples import BACKDROPS, colour_ious, logo, mask_scores, product_shot


@pytest.mark.parametrize("kind", BACKDROPS)
def test_background_removal_finds_the_product_on_every_kind_of_backdrop(kind):
    scores = []
    for index in range(2):
        image, truth = product_shot(1000 * BACKDROPS.index(kind) + index, kind, size=(640, 480))
        alpha = np.asarray(imageops.remove_background(image).getchannel("A"), np.float32) / 255
        scores.append(mask_scores(alpha, truth))
    ious, halos = zip(*scores, strict=True)
    assert np.mean(ious) >= 0.95, scores
    assert max(halos) <= 2.0, scores


def test_background_removal_leaves_no_backdrop_colour_on_the_edge():
    image, truth = product_shot(7, "plain", size=(640, 480))
    result = np.asarray(imageops.remove_background(image), np.float32)
    edge = (result[..., 3] > 40) & (result[..., 3] < 215)
    assert edge.any()
    inside = np.asarray(image, np.float32)[truth > 0.99]
    # Edge pixels' colours are the product's, not a mix with the backdrop: each lies near some
    # colour found inside the product.
    sample = result[edge][:200, :3]
    nearest = np.min(np.linalg.norm(sample[:, None, :] - inside[None, ::50, :], axis=2), axis=1)
    assert np.median(nearest) < 25


def _rasterised(svg: str, size: tuple[int, int]) -> Image.Image:
    png = resvg_py.svg_to_bytes(svg_string=svg, width=size[0], height=size[1], background="#ffffff")
    return Image.open(io.BytesIO(bytes(png))).convert("RGB")


@pytest.mark.parametrize("seed", [0, 1, 2, 3], ids=["circle", "ring", "text", "shapes"])
def test_a_vectorized_logo_matches_its_original_per_colour(seed):
    image, colours, drawing = logo(seed)
    svg = imageops.vectorize(image)
    scores = colour_ious(drawing, _rasterised(svg, drawing.size), colours)
    assert min(scores) >= 0.97, scores


def test_a_photo_like_image_is_not_flattened_to_a_few_colours():
    # Smooth light and colour changes everywhere, as in a photo.
    ys, xs = np.mgrid[0:240, 0:320].astype(np.float32)
    rgb = np.dstack([xs / 320 * 255, ys / 240 * 255, 128 + 100 * np.sin(xs / 25) * np.cos(ys / 30)])
    image = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")
    assert imageops.vector_logo.logo_palette(image.convert("RGBA")) is None
