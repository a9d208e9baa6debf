"""The order a spec's slots read in.

A spec stored in PostgreSQL (jsonb) does not keep the order its keys were written in, so forms and
pages order slots the way a reader meets them: by where their layer sits in the first format the
spec lays out (top to bottom, then left to right). Slots no layer uses come last, by name.
"""

from .formats import FORMAT_KEYS


def ordered_slot_names(spec: dict) -> list[str]:
    slots = spec.get("slots", {})
    layouts = spec.get("formats", {})
    first = next((key for key in FORMAT_KEYS if key in layouts), None)
    position: dict[str, tuple[float, float]] = {}
    if first is not None:
        for layer in layouts[first].get("layers", []):
            name = layer.get("slot")
            box = layer.get("box") or [0, 0, 0, 0]
            if name in slots and name not in position:
                position[name] = (box[1], box[0])
    placed = sorted(position, key=lambda name: (position[name], name))
    return placed + sorted(name for name in slots if name not in position)
