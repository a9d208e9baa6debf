"""Readable names for stored files: brand, template, format and date, never bare ids.

`ad-studio_summer-sale_9x16_2026-11-25_3f2a.png`: the short suffix keeps two renders of the same
day apart without making the name unreadable.
"""

import secrets
from datetime import datetime

from django.utils import timezone
from django.utils.text import slugify


def _part(value: str, fallback: str, limit: int = 40) -> str:
    return (slugify(value or "")[:limit].strip("-")) or fallback


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
    parts = [_part(brand, "brand"), _part(label, "image")]
    if format_key:
        parts.append(format_key.replace(":", "x"))
    parts.append(when.strftime("%Y-%m-%d"))
    parts.append(suffix or secrets.token_hex(2))
    return "_".join(parts) + "." + ext.lstrip(".").lower()
