"""File names say each part once, at every level: uploads of our own files, variations, upscales of upscales."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from generations.naming import readable_file_name

WHEN = datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("UTC"))


def name(label: str, **kwargs) -> str:
    return readable_file_name(brand="Maria's Bakery", label=label, ext="png", when=WHEN, suffix="bb11", **kwargs)


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Fresh pasta", "marias-bakery_fresh-pasta_2026-12-02_bb11.png"),
        # An upscale of a generated ad: its label is the ad's file name plus the operation.
        (
            "marias-bakery_fresh-pasta_1x1_2026-12-02_aa04 Upscale 2x",
            "marias-bakery_fresh-pasta-1x1-upscale-2x_2026-12-02_bb11.png",
        ),
        # The name the issue saw, then an upscale of that upscale.
        (
            "marias-bakery_marias-bakery_fresh-pasta_1x1_2026-12-02_2026-12-02_aa04",
            "marias-bakery_fresh-pasta-1x1_2026-12-02_bb11.png",
        ),
        (
            "marias-bakery_fresh-pasta-1x1-upscale-2x_2026-12-02_bb11 Upscale 4x",
            "marias-bakery_fresh-pasta-1x1-upscale-2x-upscale-4x_2026-12-02_bb11.png",
        ),
        ("cafe_menu", "marias-bakery_cafe-menu_2026-12-02_bb11.png"),  # a hex-looking word is kept
    ],
)
def test_each_part_once(label, expected):
    assert name(label) == expected


def test_a_result_names_its_format_once():
    assert (
        name("marias-bakery_fresh-pasta_1x1", format_key="1:1") == "marias-bakery_fresh-pasta_1x1_2026-12-02_bb11.png"
    )
