"""Readable names for stored files: brand, template, format and date, never bare ids.

`ad-studio_summer-sale_9x16_2026-11-25_3f2a.png`: the short suffix keeps two renders of the same
day apart without making the name unreadable.
"""

import re
import secrets
from datetime import datetime

from django.utils import timezone
from django.utils.text import slugify


def _part(value: str, fallback: str, limit: int = 40) -> str:
    return (slugify(value or "")[:limit].strip("-")) or fallback


DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SUFFIX = re.compile(r"^[0-9a-f]{4}$|^[0-9a-f]{8}$")


def _label_without_repeats(label: str, *, brand: str, format_key: str) -> str:
    """The label minus what the name says anyway: a label made from one of our own file names
    (an upscale of `acme_fresh-pasta_1x1_2026-12-02_aa04.png`) brings the brand, the date and the
    suffix again; each part appears once, at every level (variations, upscales of upscales)."""
    segments = [segment for segment in re.split(r"_+", label or "") if segment.strip()]
    if len(segments) >= 2 and DATE.match(segments[-2].strip()):
        # "…_2026-12-02_aa04" or "…_2026-12-02_aa04 Upscale 2x": the old random suffix goes.
        first, _, rest = segments[-1].strip().partition(" ")
        if SUFFIX.match(first.lower()):
            segments = segments[:-1] + ([rest] if rest.strip() else [])
    kept: list[str] = []
    drop = {brand, format_key.replace(":", "x") if format_key else ""}
    for segment in segments:
        slug = slugify(segment)
        if not slug or slug in drop or DATE.match(slug) or slug in kept:
            continue
        kept.append(slug)
    words: list[str] = []
    for word in "-".join(kept).split("-"):
        if word and not (words and words[-1] == word):  # "upscale upscale" from a doubled label
            words.append(word)
    return "-".join(words)


def readable_file_name(
    *,
    brand: str,
    label: str,
    ext: str,
    format_key: str = "",
    when: datetime | None = None,
    suffix: str | None = None,
) -> str:
    """`suffix` makes the name stable (a job that runs again writes the same name); by default a
    short random one keeps two files of the same day apart."""
    when = timezone.localtime(when or timezone.now())
    brand_part = _part(brand, "brand")
    label = _label_without_repeats(label, brand=brand_part, format_key=format_key)
    parts = [brand_part, _part(label, "image", limit=60)]
    if format_key:
        parts.append(format_key.replace(":", "x"))
    parts.append(when.strftime("%Y-%m-%d"))
    parts.append(suffix or secrets.token_hex(2))
    return "_".join(parts) + "." + ext.lstrip(".").lower()
