"""Turning a page (its published version, or the draft for the editor's preview) into HTML.

The public page is one HTML document with its CSS and the beacon inline; its Content-Security-Policy
allows exactly those two inline blocks by hash, images from this site (and the media host), posts
to this site and nothing else: no third-party script, font or frame.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from campaigns.pages import components as schema
from campaigns.pages import renditions

BEACON_JS = (Path(__file__).resolve().parent.parent / "static" / "campaigns" / "beacon.min.js").read_text().strip()
FORM_TOKEN = "__CRAFTADS_FORM_TOKEN__"  # noqa: S105 (a placeholder, not a secret)
ATTRIBUTION = "<!--craftads-attribution-->"
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
FONT = re.compile(r"^[A-Za-z0-9 -]{1,60}$")
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")


@dataclass(frozen=True)
class Rendered:
    html: str
    csp: str
    has_form: bool


def beacon_key(page_id: str, version: int) -> str:
    """Signs the page id and version the beacon reports, so the ingest endpoint can refuse made-up
    pages without a database query."""
    mac = hmac.new(settings.SECRET_KEY.encode(), f"page-event:{page_id}:{version}".encode(), hashlib.sha256)
    return mac.hexdigest()[:20]


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _colour(value: str, fallback: str) -> str:
    return value if COLOUR.match(value or "") else fallback


def _font(value: str) -> str:
    family = value if FONT.match(value or "") else "Inter"
    return f'"{family}", system-ui, -apple-system, "Segoe UI", Roboto, sans-serif'


def _media_origin() -> str:
    sample = default_storage.url("pages/x.webp")
    parts = urlsplit(sample)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _image(images: dict, image_id: str | None, *, draft_urls: dict) -> dict | None:
    if not image_id:
        return None
    if image_id in images:
        src, srcset = renditions.srcset(images[image_id])
        return {"src": src, "srcset": srcset, "width": images[image_id]["width"], "height": images[image_id]["height"]}
    if image_id in draft_urls:
        return draft_urls[image_id]
    return None


def build_components(
    items: list[dict],
    images: dict,
    *,
    draft_urls: dict | None = None,
    errors: dict | None = None,
    values: dict | None = None,
) -> list[dict]:
    built = []
    errors, values = errors or {}, values or {}
    draft_urls = draft_urls or {}
    for item in items:
        props = dict(item["props"])
        for key, prop in schema.component_type(item["type"]).props.items():
            if prop.kind == "image":
                props[key] = _image(images, props.get(key), draft_urls=draft_urls)
        extra = {}
        if item["type"] == "lead_form":
            extra["inputs"] = [
                {
                    "name": name,
                    "label": label,
                    "required": required,
                    "value": values.get(name, ""),
                    "error": errors.get(name, ""),
                }
                for name, label, required in schema.form_field_names(props)
            ]
            extra["form_error"] = errors.get("form", "")
        if item["type"] == "pricing" and props.get("countdown_to"):
            extra["ends"] = datetime.fromisoformat(props["countdown_to"])
        built.append(
            {
                "id": item["id"],
                "type": item["type"],
                "props": props,
                **extra,
                "template": f"campaigns/public/components/{item['type']}.html",
            }
        )
    return built


def render_page(
    *,
    page_id: str,
    version_number: int,
    title: str,
    description: str,
    items: list[dict],
    brand: dict,
    images: dict,
    submit_url: str,
    preview: bool = False,
    beacon: bool = True,
    draft_urls: dict | None = None,
    form_errors: dict | None = None,
    form_values: dict | None = None,
) -> Rendered:
    palette = brand.get("palette", {})
    style = render_to_string(
        "campaigns/public/style.css",
        {
            "primary": _colour(palette.get("primary"), "#2E86AB"),
            "secondary": _colour(palette.get("secondary"), "#F8F9FA"),
            "accent": _colour(palette.get("accent"), "#F18F01"),
            "background": _colour(palette.get("background"), "#FFFFFF"),
            "text": _colour(palette.get("text"), "#1B1B1E"),
            "heading_font": mark_safe(_font(brand.get("heading_font", ""))),  # noqa: S308 (checked by FONT)
            "body_font": mark_safe(_font(brand.get("body_font", ""))),  # noqa: S308
        },
    ).strip()
    logo = None
    if "logo" in images:
        src, srcset = renditions.srcset(images["logo"])
        logo = {"src": src, "srcset": srcset}
    elif (draft_urls or {}).get("logo"):
        logo = draft_urls["logo"]
    components = build_components(items, images, draft_urls=draft_urls, errors=form_errors, values=form_values)
    has_form = any(c["type"] == "lead_form" for c in components)
    html = render_to_string(
        "campaigns/public/page.html",
        {
            "title": title,
            "description": description,
            "components": components,
            "brand_name": brand.get("name", ""),
            "logo": logo,
            "style": mark_safe(style),  # noqa: S308 (built from checked colours and fonts)
            "beacon": mark_safe(BEACON_JS) if beacon and not preview else "",  # noqa: S308 (our own file)
            "page_id": page_id,
            "version": version_number,
            "beacon_key": beacon_key(page_id, version_number),
            "events_url": reverse("analytics_ingest:events"),
            "submit_url": submit_url,
            "form_token": FORM_TOKEN,
            "attribution": mark_safe(ATTRIBUTION),  # noqa: S308 (a placeholder, replaced per request)
            "preview": preview,
        },
    )
    origin = _media_origin()
    img_src = "'self' data:" + (f" {origin}" if origin else "")
    script = f" {_sha(BEACON_JS)}" if beacon and not preview else ""
    csp = (
        f"default-src 'none'; img-src {img_src}; style-src {_sha(style)}; script-src{script or ' ' + chr(39) + 'none' + chr(39)}; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors "
        + ("'self'" if preview else "'none'")
    )
    return Rendered(html=html, csp=csp, has_form=has_form)
