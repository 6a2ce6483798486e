"""What the option form needs to know of each option, read from :func:`option_specs`.

A widget kind (``int``, ``float``, ``bool``, ``choice``, ``text``), its range, step and digits,
and the conversions between an option's value and the widget's. Pure Python.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from shared.options import OptionsError, option_specs

MAX_DIGITS = 6


def _decimals(value: float) -> int:
    mantissa, _, exponent = repr(float(value)).partition("e")
    places = len(mantissa.partition(".")[2].rstrip("0"))
    return min(max(places - int(exponent or 0), 1), MAX_DIGITS)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    help: str
    group: str
    widget: str
    default: Any
    option_type: str
    widget_range: tuple[float | None, float | None] = (None, None)
    choices: tuple[str, ...] = ()
    digits: int = 0
    step: float = 1.0
    special_text: str = ""

    def to_widget(self, value: Any) -> Any:
        if self.option_type == "int?":
            return 0 if value is None else value
        if self.widget == "text":
            return json.dumps(value)
        return value

    def from_widget(self, raw: Any) -> Any:
        if self.option_type == "int?":
            return None if raw == 0 else raw
        if self.widget == "text":
            try:
                return json.loads(raw or "[]")
            except ValueError:
                raise OptionsError(f"{self.label}: expected a JSON list, got {raw!r}") from None
        return raw


_WIDGETS = {"float": "float", "int": "int", "int?": "int", "bool": "bool", "str": "choice",
            "ints": "text", "boxes": "text"}


def field_spec(spec: dict[str, Any]) -> FieldSpec:
    kind = spec["type"]
    label = spec["name"].replace("_", " ")
    common = {"name": spec["name"], "label": label[:1].upper() + label[1:], "help": spec["help"],
              "group": spec["group"], "widget": _WIDGETS[kind], "default": spec["default"],
              "option_type": kind, "widget_range": (spec["minimum"], spec["maximum"])}
    if kind == "float":
        digits = _decimals(spec["default"])
        return FieldSpec(**common, digits=digits, step=10.0 ** -digits)
    if kind == "int?":
        return FieldSpec(**{**common, "widget_range": (0, spec["maximum"])},
                         special_text="not set")
    if kind == "str":
        return FieldSpec(**common, choices=tuple(spec["choices"]))
    return FieldSpec(**common)


def field_specs() -> list[FieldSpec]:
    return [field_spec(spec) for spec in option_specs()]
