"""The editor's component forms, built from the component schemas.

Lists (features, testimonials, FAQ, plans, links, custom fields) are edited as one entry per line
with `|` between the parts, which keeps the form usable without JavaScript; the API takes the
same properties as JSON.
"""

from __future__ import annotations

from typing import Any

from campaigns.pages import components as schema


def _items_to_text(items: list[dict], prop: schema.Prop) -> str:
    names = [name for name, _ in prop.item_props]
    lines = []
    for item in items or []:
        parts = [str(item.get(name, "") or "") for name in names]
        while parts and not parts[-1]:
            parts.pop()
        lines.append(" | ".join(parts))
    return "\n".join(lines)


def _text_to_items(text: str, prop: schema.Prop) -> list[dict]:
    names = [name for name, _ in prop.item_props]
    items = []
    for line in str(text or "").splitlines():
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|", len(names) - 1)]
        item = {name: (parts[index] if index < len(parts) else "") for index, name in enumerate(names)}
        for name, item_prop in prop.item_props:
            if item_prop.kind == "choice" and not item[name]:
                item[name] = item_prop.default
            elif item_prop.kind == "choice":
                item[name] = item[name].lower()
        items.append(item)
    return items


def props_from_post(component_type: str, post) -> dict[str, Any]:
    """The properties a component form sent, in the shape `validate_props` takes."""
    spec = schema.component_type(component_type)
    props: dict[str, Any] = {}
    for name, prop in spec.props.items():
        if prop.kind == "flag":
            props[name] = post.get(name) in ("on", "true", "1")
        elif prop.kind == "fields":
            props[name] = post.getlist(name)
        elif prop.kind == "items":
            props[name] = _text_to_items(post.get(name, ""), prop)
        else:
            props[name] = post.get(name, "")
    return props


def form_fields(component_type: str, props: dict[str, Any], errors: dict[str, str] | None = None) -> list[dict]:
    """What the editor template needs to draw each property's input."""
    errors = errors or {}
    fields = []
    for name, prop in schema.component_type(component_type).props.items():
        value = props.get(name, prop.default)
        if prop.kind == "items":
            value = _items_to_text(value, prop) if isinstance(value, list) else value
        fields.append(
            {
                "name": name,
                "label": prop.label,
                "kind": prop.kind,
                "value": value if value is not None else "",
                "choices": prop.choices,
                "multiline": prop.multiline,
                "max_length": prop.max_length,
                "help": prop.help,
                "required": prop.required,
                "error": errors.get(name, ""),
            }
        )
    return fields
