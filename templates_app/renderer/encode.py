"""Colour management and encoding: every image enters as sRGB and leaves tagged as sRGB.

PNG is written with zlib level 6 (`PNG_COMPRESS_LEVEL`): on rendered ads it is within a few
per cent of level 9's size at about half the time; levels 1-3 are faster still but make files
about twice as large.
"""

import io
from functools import lru_cache

from PIL import Image, ImageCms

PNG_COMPRESS_LEVEL = 6
FORMATS = {"png": "PNG", "jpeg": "JPEG", "jpg": "JPEG", "webp": "WEBP"}


@lru_cache(maxsize=1)
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@lru_cache(maxsize=1)
def srgb_profile_bytes() -> bytes:
    """The ICC profile embedded in every encoded image (LittleCMS's built-in sRGB)."""
    return _srgb().tobytes()


def _is_srgb(icc: bytes) -> bool:
    if icc == srgb_profile_bytes():
        return True
    try:
        description = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc)))
    except (ImageCms.PyCMSError, OSError):
        return False
    return "srgb" in description.lower().replace(" ", "")


def to_srgb(image: Image.Image) -> Image.Image:
    """The image as RGB or RGBA in sRGB.

    Converts palette, greyscale, 16-bit, CMYK and other modes, and converts colours from an
    embedded ICC profile (Display P3, Adobe RGB, a CMYK press profile, …) to sRGB. Images without
    a profile are taken as sRGB. EXIF orientation is the caller's to apply before (uploads are
    cleaned on the way in).
    """
    original = image
    icc = image.info.get("icc_profile")
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif image.mode in ("LA", "La", "PA", "RGBa"):
        image = image.convert("RGBA")
    elif image.mode.startswith("I") or image.mode == "F":
        # 16-bit (or wider) greyscale: bring 0..65535 down to 0..255.
        image = image.convert("I") if image.mode.startswith("I;") else image
        if image.getextrema()[1] > 255:
            image = image.point(lambda v: v / 257)
        image = image.convert("L")
    has_alpha = image.mode in ("RGBA",)
    if icc and not _is_srgb(icc) and image.mode in ("RGB", "RGBA", "CMYK", "L"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            if has_alpha:
                alpha = image.getchannel("A")
                rgb = ImageCms.profileToProfile(image.convert("RGB"), source, _srgb(), outputMode="RGB")
                rgb.putalpha(alpha)
                image = rgb
            else:
                image = ImageCms.profileToProfile(image, source, _srgb(), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: fall back to the plain conversion below
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if image.mode.endswith("A") else "RGB")
    if image is not original:
        # Our own copy now holds sRGB pixels: say so, so converting it again changes nothing.
        image.info["icc_profile"] = srgb_profile_bytes()
    return image


def encode_image(image: Image.Image, fmt: str, quality: int = 90) -> bytes:
    """The image encoded as PNG, JPEG or WebP with the sRGB profile embedded.

    Images in another profile or mode are converted to sRGB first. JPEG has no alpha: transparent
    pixels are flattened onto white. JPEG at quality 85 or more keeps full colour resolution (4:4:4),
    which keeps coloured text crisp.
    """
    name = FORMATS.get(fmt.lower())
    if name is None:
        raise ValueError(f"Unknown image format {fmt!r}; choose png, jpeg or webp.")
    image = to_srgb(image)
    if name == "JPEG" and image.mode == "RGBA":
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(image, (0, 0), image)
        image = flat
    buffer = io.BytesIO()
    options: dict = {"icc_profile": srgb_profile_bytes()}
    if name == "PNG":
        options["compress_level"] = PNG_COMPRESS_LEVEL
    elif name == "JPEG":
        options.update(quality=quality, subsampling=0 if quality >= 85 else 2, optimize=True)
    else:
        options.update(quality=quality, method=4)
    image.save(buffer, format=name, **options)
    return buffer.getvalue()
