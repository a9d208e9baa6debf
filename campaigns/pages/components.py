"""Landing-page components: one typed schema per component type, validated on the server.

A page is an ordered list of components; each component is a type and a dict of properties. Every
property has a kind (text, url, choice, flag, date, image, items, fields) with its own limits, and
`validate_props` turns what a user sent into the stored dict or raises `ComponentError` naming
each bad property. There is no raw HTML anywhere: text that looks like markup (`<script>`, `<b>`,
`<!-- -->`) is refused, links are http(s), mailto:, tel: or an anchor on the page, and the public
page escapes everything it prints.

Pure module: no database. Whether an image id belongs to the user is checked by the service.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from craftplatform.errors import DomainError

MARKUP = re.compile(r"<\s*[a-zA-Z/!?]|&#|&[a-zA-Z]+;")
ANCHOR = re.compile(r"^#[a-zA-Z][\w-]{0,60}$")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
STANDARD_FIELDS = ("name", "email", "phone", "message")
MAX_COMPONENTS = 30
MAX_PAGE_BYTES = 60_000  # all properties of a page, as JSON


class ComponentError(DomainError):
    default_message = "The component is not valid."

    def __init__(self, message: str | None = None, *, errors: dict[str, str] | None = None) -> None:
        self.errors = errors or {}
        if message is None and self.errors:
            message = "; ".join(f"{key}: {value}" for key, value in self.errors.items())
        super().__init__(message, code="invalid_component")


@dataclass(frozen=True)
class Prop:
    kind: str  # text, url, choice, flag, date, image, items, fields
    label: str
    required: bool = False
    max_length: int = 200
    multiline: bool = False
    choices: tuple[str, ...] = ()
    default: Any = ""
    item_props: tuple[tuple[str, Prop], ...] = ()
    max_items: int = 12
    help: str = ""


@dataclass(frozen=True)
class ComponentType:
    key: str
    label: str
    description: str
    props: dict[str, Prop] = field(default_factory=dict)


def _text(label, *, required=False, max_length=200, multiline=False, default="", help=""):
    return Prop(
        "text", label, required=required, max_length=max_length, multiline=multiline, default=default, help=help
    )


def _url(label, *, required=False, default=""):
    return Prop(
        "url",
        label,
        required=required,
        max_length=500,
        default=default,
        help="A web address (https://…), mailto:, tel: or #form for a place on this page.",
    )


def _image(label):
    return Prop("image", label, default=None, help="One of your creatives or an uploaded image.")


def _items(label, item_props, *, max_items=12, help=""):
    return Prop("items", label, default=[], item_props=tuple(item_props), max_items=max_items, help=help)


COMPONENT_TYPES: dict[str, ComponentType] = {
    component.key: component
    for component in [
        ComponentType(
            "header",
            "Header",
            "Your logo and brand name, with an optional button.",
            {
                "brand_name": _text("Brand name", max_length=80),
                "show_logo": Prop("flag", "Show the brand kit's logo", default=True),
                "cta_label": _text("Button label", max_length=40),
                "cta_url": _url("Button link"),
            },
        ),
        ComponentType(
            "hero",
            "Hero",
            "The big headline at the top, with an image and a button.",
            {
                "headline": _text("Headline", required=True, max_length=120, default="Your headline"),
                "subheadline": _text("Subheadline", max_length=300, multiline=True),
                "image": _image("Image"),
                "cta_label": _text("Button label", max_length=40),
                "cta_url": _url("Button link", default="#form"),
                "align": Prop("choice", "Alignment", choices=("left", "center"), default="left"),
            },
        ),
        ComponentType(
            "text_image",
            "Text with image",
            "A paragraph beside a picture.",
            {
                "heading": _text("Heading", max_length=120),
                "body": _text("Text", required=True, max_length=2000, multiline=True, default="Tell your story."),
                "image": _image("Image"),
                "image_side": Prop("choice", "Image side", choices=("right", "left"), default="right"),
            },
        ),
        ComponentType(
            "features",
            "Features",
            "What you offer, in short points.",
            {
                "heading": _text("Heading", max_length=120),
                "items": _items(
                    "Features",
                    [("title", _text("Title", required=True, max_length=80)), ("text", _text("Text", max_length=300))],
                    help="One feature per line: title | text",
                ),
            },
        ),
        ComponentType(
            "testimonials",
            "Testimonials",
            "What customers say.",
            {
                "heading": _text("Heading", max_length=120),
                "items": _items(
                    "Testimonials",
                    [
                        ("quote", _text("Quote", required=True, max_length=500)),
                        ("author", _text("Author", required=True, max_length=80)),
                        ("role", _text("Role", max_length=80)),
                    ],
                    help="One per line: quote | author | role",
                ),
            },
        ),
        ComponentType(
            "pricing",
            "Pricing or offer",
            "Plans or an offer, with an optional countdown.",
            {
                "heading": _text("Heading", max_length=120),
                "items": _items(
                    "Plans",
                    [
                        ("name", _text("Name", required=True, max_length=60)),
                        ("price", _text("Price", required=True, max_length=30)),
                        ("text", _text("Description", max_length=300)),
                    ],
                    max_items=6,
                    help="One plan per line: name | price | description",
                ),
                "offer_note": _text("Offer note", max_length=200),
                "countdown_to": Prop("date", "Count down to", default="", help="Date and time, e.g. 2027-01-31 18:00"),
                "cta_label": _text("Button label", max_length=40),
                "cta_url": _url("Button link", default="#form"),
            },
        ),
        ComponentType(
            "faq",
            "FAQ",
            "Questions and answers.",
            {
                "heading": _text("Heading", max_length=120, default="Questions"),
                "items": _items(
                    "Questions",
                    [
                        ("question", _text("Question", required=True, max_length=200)),
                        ("answer", _text("Answer", required=True, max_length=1000)),
                    ],
                    max_items=20,
                    help="One per line: question | answer",
                ),
            },
        ),
        ComponentType(
            "lead_form",
            "Lead form",
            "The form visitors fill in: each submission is a lead.",
            {
                "heading": _text("Heading", max_length=120, default="Get in touch"),
                "text": _text("Text", max_length=500, multiline=True),
                "fields": Prop("fields", "Fields", default=["name", "email"], choices=STANDARD_FIELDS),
                "required": Prop("fields", "Required fields", default=["email"], choices=STANDARD_FIELDS),
                "custom_fields": _items(
                    "Custom fields",
                    [
                        ("label", _text("Label", required=True, max_length=60)),
                        ("required", Prop("choice", "Required", choices=("no", "yes"), default="no")),
                    ],
                    max_items=5,
                    help="One per line: label | yes (required) or no",
                ),
                "submit_label": _text("Button label", required=True, max_length=40, default="Send"),
                "success_message": _text(
                    "Thank-you message", required=True, max_length=300, default="Thank you! We will be in touch soon."
                ),
            },
        ),
        ComponentType(
            "cta",
            "Call-to-action button",
            "A heading and one button.",
            {
                "heading": _text("Heading", max_length=120),
                "text": _text("Text", max_length=300, multiline=True),
                "label": _text("Button label", required=True, max_length=40, default="Get started"),
                "url": _url("Button link", required=True, default="#form"),
            },
        ),
        ComponentType(
            "footer",
            "Footer",
            "Small print and links.",
            {
                "text": _text("Text", max_length=300, default=""),
                "links": _items(
                    "Links",
                    [("label", _text("Label", required=True, max_length=40)), ("url", _url("Link", required=True))],
                    max_items=8,
                    help="One link per line: label | https://…",
                ),
            },
        ),
    ]
}


def component_type(key: str) -> ComponentType:
    try:
        return COMPONENT_TYPES[key]
    except KeyError:
        known = ", ".join(COMPONENT_TYPES)
        raise ComponentError(f"Unknown component type {key!r}: use one of {known}.") from None


def default_props(key: str) -> dict[str, Any]:
    return {
        name: (list(prop.default) if isinstance(prop.default, list) else prop.default)
        for name, prop in component_type(key).props.items()
    }


def clean_text(value: Any, prop: Prop) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValueError("must be text")
    value = CONTROL.sub("", value.replace("\r\n", "\n")).strip()
    if not prop.multiline:
        value = " ".join(value.split())
    if MARKUP.search(value):
        raise ValueError("HTML and scripts are not allowed: write plain text")
    if len(value) > prop.max_length:
        raise ValueError(f"at most {prop.max_length} characters (this has {len(value)})")
    return value


def clean_url(value: Any, prop: Prop) -> str:
    value = clean_text(value, prop)
    if not value or ANCHOR.match(value):
        return value
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    if scheme in {"mailto", "tel"} and parts.path and not any(c in value for c in " <>\"'"):
        return value
    if scheme not in {"http", "https"} or not parts.netloc or any(c in value for c in " <>\"'\\"):
        raise ValueError("use a web address starting with https://, a mailto: or tel: link, or #form")
    return value


def clean_value(value: Any, prop: Prop) -> Any:
    if prop.kind == "text":
        return clean_text(value, prop)
    if prop.kind == "url":
        return clean_url(value, prop)
    if prop.kind == "choice":
        value = value if value not in (None, "") else prop.default
        if value not in prop.choices:
            raise ValueError(f"choose one of {', '.join(prop.choices)}")
        return value
    if prop.kind == "flag":
        if isinstance(value, bool):
            return value
        if value in (None, ""):
            return bool(prop.default)
        raise ValueError("must be true or false")
    if prop.kind == "date":
        if value in (None, ""):
            return ""
        if not isinstance(value, str):
            raise ValueError("must be a date and time")
        try:
            parsed = datetime.fromisoformat(value.strip().replace(" ", "T"))
        except ValueError:
            raise ValueError("use the form 2027-01-31 18:00") from None
        return parsed.replace(tzinfo=None).isoformat(timespec="minutes")
    if prop.kind == "image":
        if value in (None, ""):
            return None
        try:
            return str(uuid.UUID(str(value)))
        except ValueError:
            raise ValueError("not an image of yours") from None
    if prop.kind == "fields":
        if value in (None, ""):
            return []
        if not isinstance(value, list) or any(item not in prop.choices for item in value):
            raise ValueError(f"choose among {', '.join(prop.choices)}")
        return [name for name in prop.choices if name in value]
    if prop.kind == "items":
        if value in (None, ""):
            return []
        if not isinstance(value, list):
            raise ValueError("must be a list")
        if len(value) > prop.max_items:
            raise ValueError(f"at most {prop.max_items} entries (this has {len(value)})")
        cleaned = []
        for position, item in enumerate(value, start=1):
            if not isinstance(item, dict):
                raise ValueError(f"entry {position} must be an object")
            unknown = set(item) - {name for name, _ in prop.item_props}
            if unknown:
                raise ValueError(f"entry {position} has unknown properties: {', '.join(sorted(unknown))}")
            entry = {}
            for name, item_prop in prop.item_props:
                try:
                    entry[name] = clean_value(item.get(name), item_prop)
                except ValueError as exc:
                    raise ValueError(f"entry {position}, {item_prop.label.lower()}: {exc}") from None
                if item_prop.required and entry[name] in ("", None):
                    raise ValueError(f"entry {position}, {item_prop.label.lower()}: required")
            cleaned.append(entry)
        return cleaned
    raise ValueError(f"unknown kind {prop.kind}")  # pragma: no cover (schema error)


def validate_props(key: str, props: Any) -> dict[str, Any]:
    """The stored properties of a component of type `key`, or ComponentError listing each problem."""
    spec = component_type(key)
    if not isinstance(props, dict):
        raise ComponentError("Properties must be an object.")
    errors: dict[str, str] = {}
    unknown = sorted(set(props) - set(spec.props))
    for name in unknown:
        errors[name] = f"unknown property for a {spec.label.lower()} component"
    cleaned: dict[str, Any] = {}
    for name, prop in spec.props.items():
        try:
            cleaned[name] = clean_value(props.get(name, prop.default), prop)
        except ValueError as exc:
            errors[name] = str(exc)
            continue
        if prop.required and cleaned[name] in ("", None, []):
            errors[name] = "required"
    if key == "lead_form" and not errors:
        if not cleaned["fields"] and not cleaned["custom_fields"]:
            errors["fields"] = "a form needs at least one field"
        missing = [name for name in cleaned["required"] if name not in cleaned["fields"]]
        if missing:
            errors["required"] = f"required fields must be on the form: {', '.join(missing)}"
    if errors:
        raise ComponentError(errors=errors)
    return cleaned


def image_ids(key: str, props: dict[str, Any]) -> list[str]:
    return [props[name] for name, prop in component_type(key).props.items() if prop.kind == "image" and props.get(name)]


def form_field_names(props: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(name, label, required) of a lead form's inputs, standard fields first."""
    labels = {"name": "Name", "email": "Email", "phone": "Phone", "message": "Message"}
    found = [(name, labels[name], name in props.get("required", [])) for name in props.get("fields", [])]
    for position, custom in enumerate(props.get("custom_fields", []), start=1):
        found.append((f"custom_{position}", custom["label"], custom["required"] == "yes"))
    return found
