"""Schemathesis hooks for the contract run: how to make the files the schema says uploads accept.

The schema names the accepted media types of each upload field (`encoding.contentType`);
schemathesis has no generator for images or fonts, so these teach it: real PNG, JPEG and WebP
images of random size and colour, and TrueType fonts under random family names. Loaded by
`SCHEMATHESIS_HOOKS=tests.api.schemathesis_hooks` (see test_contract.py).
"""

import io
import os

import django
import schemathesis
from hypothesis import strategies as st
from PIL import Image

# The font helper lives beside the brand-font tests, which import the project's models.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "craftplatform.settings.test")
django.setup()

from tests.templates_app.test_brand_fonts import font_bytes  # noqa: E402


def _image(fmt: str):
    @st.composite
    def build(draw):
        size = (draw(st.integers(1, 64)), draw(st.integers(1, 64)))
        colour = tuple(draw(st.integers(0, 255)) for _ in range(3))
        buffer = io.BytesIO()
        Image.new("RGB", size, colour).save(buffer, format=fmt)
        return buffer.getvalue()

    return build()


schemathesis.openapi.media_type("image/png", _image("PNG"))
schemathesis.openapi.media_type("image/jpeg", _image("JPEG"))
schemathesis.openapi.media_type("image/webp", _image("WEBP"))
schemathesis.openapi.media_type(
    "font/ttf", st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=6, max_size=12).map(font_bytes)
)
