"""Finding 8 (issue 11): a re-encoded JPEG keeps its colour profile and no other metadata segment."""

import io
import struct

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms

from craftplatform.images import clean_uploaded_image

XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description GPSLatitude="48.85"/></rdf:RDF></x:xmpmeta>'
IPTC_BODY = b"Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x0c\x1c\x02\x50\x00\x07Someone"


def _segments(data: bytes) -> list[tuple[int, bytes]]:
    """(marker, payload) of every segment before the image data."""
    assert data[:2] == b"\xff\xd8"
    found, pos = [], 2
    while pos < len(data):
        marker = data[pos + 1]
        if marker == 0xDA:  # start of scan: the rest is image data
            break
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        found.append((marker, data[pos + 4 : pos + 2 + length]))
        pos += 2 + length
    return found


def _jpeg_with_everything() -> bytes:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    iptc = b"\xff\xed" + struct.pack(">H", len(IPTC_BODY) + 2) + IPTC_BODY
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(
        out, format="JPEG", comment=b"secret comment", xmp=XMP, icc_profile=icc, extra=iptc
    )
    data = out.getvalue()
    markers = {marker for marker, _ in _segments(data)}
    assert {0xFE, 0xE1, 0xED, 0xE2} <= markers  # the input really carries comment, XMP, IPTC and ICC
    return data


def test_jpeg_comment_xmp_and_iptc_are_removed_and_the_colour_profile_kept():
    original = _jpeg_with_everything()
    clean = clean_uploaded_image(SimpleUploadedFile("photo.jpg", original, content_type="image/jpeg"))
    data = clean.content.read()
    segments = _segments(data)
    markers = [marker for marker, _ in segments]
    assert 0xFE not in markers  # COM
    assert 0xE1 not in markers  # APP1: EXIF, XMP
    assert 0xED not in markers  # APP13: IPTC
    for leaked in (b"secret comment", b"GPSLatitude", b"Someone"):
        assert leaked not in data
    assert any(marker == 0xE2 and payload.startswith(b"ICC_PROFILE") for marker, payload in segments)
    assert set(markers) <= {0xE0, 0xE2, 0xDB, 0xC0, 0xC2, 0xC4, 0xDD}  # JFIF, ICC and the image's own tables
    assert Image.open(io.BytesIO(data)).info.get("icc_profile")
