"""The built-in image operations, on synthetic images with known answers (no database)."""

import itertools
import xml.etree.ElementTree as ET

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from generations import imageops

SVG = "{http://www.w3.org/2000/svg}"


def checkerboard(size=(60, 40), cell=5, dark=64, light=192) -> Image.Image:
    cells = np.indices((size[1], size[0])).sum(axis=0) // cell % 2
    return Image.fromarray((dark + cells * (light - dark)).astype(np.uint8)).convert("RGB")


def sharpness(image: Image.Image) -> float:
    """Variance of the Laplacian of the luminance: the usual focus measure, larger when edges are crisper."""
    grey = np.asarray(image.convert("L"), dtype=np.float64)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def disc_on_noise(size=(320, 240), radius=70, seed=3) -> Image.Image:
    rng = np.random.default_rng(seed)
    background = np.clip(rng.normal(210, 12, (size[1], size[0], 3)), 0, 255).astype(np.uint8)
    image = Image.fromarray(background)
    cx, cy = size[0] // 2, size[1] // 2
    ImageDraw.Draw(image).ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=(190, 30, 45))
    return image


@pytest.mark.parametrize("factor", [2, 4])
def test_upscale_multiplies_the_size_exactly(factor):
    result = imageops.upscale(checkerboard((61, 37)), factor)
    assert result.size == (61 * factor, 37 * factor)
    assert result.mode == "RGB"


@pytest.mark.parametrize("factor", [2, 4])
def test_upscale_is_sharper_than_a_plain_lanczos_resize(factor):
    source = checkerboard((80, 60), cell=6).filter(ImageFilter.GaussianBlur(1))
    plain = source.resize((80 * factor, 60 * factor), Image.Resampling.LANCZOS)
    upscaled = imageops.upscale(source, factor)
    assert sharpness(upscaled) > sharpness(plain) * 1.5
    # Sharpening keeps the picture: flat areas keep their colour.
    assert abs(np.asarray(upscaled, dtype=float).mean() - np.asarray(plain, dtype=float).mean()) < 3


def test_upscale_keeps_transparency():
    source = Image.new("RGBA", (20, 10), (255, 0, 0, 0))
    ImageDraw.Draw(source).rectangle((5, 2, 14, 7), fill=(0, 0, 255, 255))
    result = imageops.upscale(source, 2)
    assert result.mode == "RGBA"
    alpha = np.asarray(result.getchannel("A"))
    assert alpha[0, 0] == 0
    assert alpha[10, 20] == 255
    # No red bleeds in from the transparent pixels around the square.
    assert np.asarray(result)[10, 20, 0] < 10


@pytest.mark.parametrize(
    ("size", "factor", "message"),
    [
        (
            (4100, 4000),
            2,
            "Upscaling 4100×4000 by 2x would make 8200×8000 pixels (66 MP); the limit is 64 MP.",
        ),
        ((2001, 2000), 4, "Upscaling 2001×2000 by 4x would make 8004×8000 pixels (64 MP); the limit is 64 MP."),
    ],
)
def test_upscale_refuses_a_result_above_the_pixel_limit_before_working(size, factor, message):
    # A lazy stand-in: any attempt to touch pixels would fail, so the refusal comes first.
    class NoPixels:
        width, height = size
        mode = "RGB"

        def resize(self, *args, **kwargs):
            raise AssertionError("resized")

    with pytest.raises(imageops.ImageOperationError) as caught:
        imageops.upscale(NoPixels(), factor)
    assert caught.value.message == message


def test_upscale_refuses_other_factors():
    with pytest.raises(imageops.ImageOperationError, match="2x or 4x"):
        imageops.upscale(checkerboard(), 3)


def test_remove_background_keeps_the_disc_and_clears_the_noisy_background():
    image = disc_on_noise()
    result = imageops.remove_background(image)
    assert result.mode == "RGBA"
    assert result.size == image.size
    alpha = np.asarray(result.getchannel("A")).astype(int)
    for corner in (alpha[0, 0], alpha[0, -1], alpha[-1, 0], alpha[-1, -1], alpha[10, 10]):
        assert corner <= 5
    assert alpha[120, 160] >= 250
    assert alpha[120, 160 - 50] >= 250
    # The colour is the original's where the subject is.
    assert tuple(np.asarray(result)[120, 160, :3]) == (190, 30, 45)
    # The edge follows the source's own edge (this disc is drawn without anti-aliasing): along a
    # row through the centre, alpha climbs once, within 2 px of the circle (x = 90), with no band
    # of half-kept background around it.
    row = alpha[120, 80:100]
    intermediate = [value for value in row if 10 < value < 245]
    assert len(intermediate) <= 2
    assert all(b >= a for a, b in itertools.pairwise(row))
    assert np.flatnonzero(row >= 128)[0] + 80 in (89, 90, 91)
    # Almost all of the disc and almost none of the background survive.
    yy, xx = np.mgrid[0:240, 0:320]
    inside = (xx - 160) ** 2 + (yy - 120) ** 2 <= 66**2
    outside = (xx - 160) ** 2 + (yy - 120) ** 2 >= 76**2
    assert (alpha[inside] >= 250).mean() > 0.99
    assert (alpha[outside] <= 5).mean() > 0.99


def test_remove_background_works_on_a_large_image_through_a_smaller_copy():
    image = disc_on_noise(size=(1600, 1200), radius=350)
    result = imageops.remove_background(image)
    alpha = np.asarray(result.getchannel("A"))
    assert result.size == (1600, 1200)
    assert alpha[0, 0] <= 5
    assert alpha[600, 800] >= 250


def test_remove_background_refuses_a_flat_image_and_a_tiny_one():
    with pytest.raises(imageops.ImageOperationError, match="No subject stands out"):
        imageops.remove_background(Image.new("RGB", (100, 80), (20, 40, 60)))
    with pytest.raises(imageops.ImageOperationError, match="too small"):
        imageops.remove_background(Image.new("RGB", (10, 80), (20, 40, 60)))


def test_vectorize_returns_an_svg_with_paths_and_the_images_size():
    image = Image.new("RGB", (120, 80), "white")
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 10, 60, 70), fill=(200, 30, 30))
    draw.rectangle((70, 20, 110, 60), fill=(20, 60, 200))
    svg = imageops.vectorize(image)
    root = ET.fromstring(svg)  # noqa: S314 - the function's own output
    assert root.tag == f"{SVG}svg"
    assert (root.get("width"), root.get("height"), root.get("viewBox")) == ("120", "80", "0 0 120 80")
    paths = root.findall(f".//{SVG}path")
    assert len(paths) >= 3
    fills = {path.get("fill").upper() for path in paths}
    assert {"#C81E1E", "#143CC8"} <= fills


def test_vectorize_traces_a_large_image_from_a_smaller_copy_and_keeps_its_size():
    image = Image.new("RGB", (3000, 1500), "white")
    ImageDraw.Draw(image).ellipse((500, 250, 2500, 1250), fill=(0, 128, 0))
    root = ET.fromstring(imageops.vectorize(image))  # noqa: S314
    assert (root.get("width"), root.get("height")) == ("3000", "1500")
    assert root.get("viewBox") == "0 0 1024 512"
    assert any(path.get("fill").upper() == "#008000" for path in root.iter(f"{SVG}path"))
