"""The checks of single values in a design spec: numbers, choices, text, colours, fills, strokes, fonts.

Each check reports a fault with its path and returns BAD, or returns the value tidied
(numbers as int when whole, colours upper-cased); schema.py checks the spec's structure with them.
"""

import math
import re
from typing import Any

from .formats import BRAND_COLOR_TOKENS, BRAND_FONT_TOKENS, FONT_FAMILIES

HEX_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
GRADIENT_KEYS = {"linear": {"gradient", "angle", "stops"}, "radial": {"gradient", "center", "radius", "stops"}}


class _Bad:
    """The value of a part that failed a check (already reported)."""


BAD = _Bad()


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _tidy_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _choices(values) -> str:
    return ", ".join(f"'{value}'" for value in values)


class ValueChecks:
    """Scalar checks; a spec's colour may name one of its colour slots (`self.slots`, filled by the subclass)."""

    slots: dict[str, dict]

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def problem(self, path: str, message: str) -> _Bad:
        self.problems.append((path, message))
        return BAD

    # -- scalar checks -------------------------------------------------------------------------

    def number(self, value: Any, path: str, *, low=None, high=None, low_open=False, integer=False, what="a number"):
        whole = _is_number(value) and float(value).is_integer()
        if integer and not whole:
            return self.problem(path, f"Must be a whole number, not {value!r}.")
        if not _is_number(value):
            return self.problem(path, f"Must be {what}, not {value!r}.")
        if low is not None and (value <= low if low_open else value < low):
            bound = f"more than {low:g}" if low_open else f"at least {low:g}"
            return self.problem(path, f"Must be {bound}, not {value:g}.")
        if high is not None and value > high:
            return self.problem(path, f"Must be at most {high:g}, not {value:g}.")
        return int(value) if integer else _tidy_number(value)

    def choice(self, value: Any, path: str, choices, what: str):
        if value not in choices:
            return self.problem(path, f"Unknown {what} {value!r}; choose one of {_choices(choices)}.")
        return value

    def boolean(self, value: Any, path: str):
        if not isinstance(value, bool):
            return self.problem(path, f"Must be true or false, not {value!r}.")
        return value

    def text(self, value: Any, path: str, *, allow_empty=True):
        if not isinstance(value, str):
            return self.problem(path, f"Must be text, not {value!r}.")
        if not allow_empty and not value.strip():
            return self.problem(path, "Must not be empty.")
        return value

    def pair(self, value: Any, path: str, *, low=None, high=None, what="two numbers"):
        if not isinstance(value, list | tuple) or len(value) != 2 or not all(_is_number(v) for v in value):
            return self.problem(path, f"Must be {what}, not {value!r}.")
        for number in value:
            if (low is not None and number < low) or (high is not None and number > high):
                return self.problem(path, f"Each value must be between {low:g} and {high:g}, not {number:g}.")
        return [_tidy_number(v) for v in value]

    def unknown_keys(self, part: dict, allowed: set[str], path: str) -> None:
        for key in sorted(set(part) - allowed):
            self.problem(f"{path}.{key}", f"Unknown key '{key}'; allowed here: {_choices(sorted(allowed))}.")

    # -- colours -------------------------------------------------------------------------------

    def color(self, value: Any, path: str, *, allow_slot=True):
        if isinstance(value, str):
            if HEX_COLOR.match(value):
                return value.upper()
            if value in BRAND_COLOR_TOKENS:
                return value
            if value.startswith("slot."):
                if not allow_slot:
                    return self.problem(path, f"A colour slot's default cannot name another slot ({value!r}).")
                name = value[5:]
                slot = self.slots.get(name)
                if slot is None:
                    colour_slots = [n for n, s in self.slots.items() if s.get("type") == "color"]
                    hint = f"colour slots: {_choices(colour_slots)}" if colour_slots else "the spec has no colour slots"
                    return self.problem(path, f"{value!r} names no slot of this spec ({hint}).")
                if slot.get("type") != "color":
                    return self.problem(path, f"{value!r} is a {slot.get('type')} slot, not a colour slot.")
                return value
            if value.startswith("brand."):
                return self.problem(
                    path, f"Unknown brand colour {value!r}; choose one of {_choices(BRAND_COLOR_TOKENS)}."
                )
        return self.problem(
            path,
            f"Not a colour: {value!r}. Use #RRGGBB, #RRGGBBAA, a brand colour ({', '.join(BRAND_COLOR_TOKENS)}) or slot.<name>.",
        )

    def fill(self, value: Any, path: str):
        """A colour or a gradient."""
        if not isinstance(value, dict):
            return self.color(value, path)
        kind = value.get("gradient")
        if kind not in GRADIENT_KEYS:
            return self.problem(f"{path}.gradient", f"Unknown gradient {kind!r}; choose 'linear' or 'radial'.")
        self.unknown_keys(value, GRADIENT_KEYS[kind], path)
        out: dict[str, Any] = {"gradient": kind}
        if kind == "linear":
            out["angle"] = self.number(value.get("angle", 180), f"{path}.angle", low=-360, high=360)
        else:
            out["center"] = self.pair(value.get("center", [0.5, 0.5]), f"{path}.center", low=0, high=1)
            out["radius"] = self.number(value.get("radius", 1), f"{path}.radius", low=0, low_open=True, high=4)
        stops = value.get("stops")
        if not isinstance(stops, list) or len(stops) < 2:
            self.problem(f"{path}.stops", "A gradient needs a list of at least two stops [offset, colour].")
            return BAD
        out_stops = []
        previous = 0.0
        for i, stop in enumerate(stops):
            stop_path = f"{path}.stops[{i}]"
            if not isinstance(stop, list | tuple) or len(stop) != 2:
                self.problem(stop_path, f"A stop is [offset 0..1, colour], not {stop!r}.")
                continue
            offset = self.number(stop[0], stop_path, low=0, high=1, what="an offset from 0 to 1")
            colour = self.color(stop[1], stop_path)
            if offset is not BAD and offset < previous:
                self.problem(stop_path, "Stop offsets must not decrease.")
            elif offset is not BAD:
                previous = offset
            out_stops.append([offset, colour])
        out["stops"] = out_stops
        return out

    def stroke(self, value: Any, path: str):
        if not isinstance(value, dict):
            return self.problem(path, 'A stroke is {"color": .., "width": px}.')
        self.unknown_keys(value, {"color", "width"}, path)
        return {
            "color": self.color(value.get("color"), f"{path}.color"),
            "width": self.number(value.get("width"), f"{path}.width", low=0, low_open=True, high=200),
        }

    def font(self, value: Any, path: str):
        if value in BRAND_FONT_TOKENS or value in FONT_FAMILIES:
            return value
        return self.problem(
            path, f"Unknown font {value!r}; choose one of {_choices(list(BRAND_FONT_TOKENS) + FONT_FAMILIES)}."
        )
