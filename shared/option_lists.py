"""Option types whose values are lists of numbers: face indices, an RGB colour, face boxes.

The same codec interface as :mod:`shared.option_types` (check, JSON, text, CLI, widget); they
are written as comma-separated text in an editor's one-line entry. Pure Python (GIMP imports
it).
"""

from __future__ import annotations

import math
from typing import Any

from shared.option_types import (
    OptionsError,
    OptionType,
    _is_finite,
    _is_number,
    _numbers,
    _whole,
    number_text,
)


class Indices(OptionType):
    """A non-empty set of distinct indices ``0 .. count - 1``, kept sorted; written
    ``0,1,3``."""

    tag, json_type, metavar = "ints", "array of integers", "I,J,..."
    widget_hint = "; whole numbers separated by commas"

    def __init__(self, count: int) -> None:
        self.count = count

    def coerce(self, value: Any) -> Any:
        if (not isinstance(value, (list, tuple)) or not value
                or not all(isinstance(i, int) and not isinstance(i, bool) for i in value)):
            raise OptionsError(f"expected a non-empty list of layer indices, got {value!r}")
        if any(not 0 <= i < self.count for i in value) or len(set(value)) != len(value):
            raise OptionsError(f"indices must be distinct and within 0..{self.count - 1}, got "
                               f"{list(value)}")
        return tuple(sorted(value))

    def to_json(self, value: Any) -> Any:
        return list(value)

    def parse(self, text: str) -> Any:
        return _numbers(text, int, "whole numbers separated by commas, such as 0,1,3,4,5")

    def format(self, value: Any) -> str:
        return ",".join(str(i) for i in value)


class Colour(OptionType):
    """An sRGB colour, three whole numbers 0-255; written ``R,G,B`` or ``#rrggbb``."""

    tag, json_type, metavar = "colour", "array of integers", "R,G,B"
    widget_hint = " (or #rrggbb)"

    def coerce(self, value: Any) -> Any:
        if (not isinstance(value, (list, tuple)) or len(value) != 3
                or not all(_whole(c) and 0 <= c <= 255 for c in value)):
            raise OptionsError(f"expected three whole numbers 0-255, got {value!r}")
        return tuple(int(c) for c in value)

    def to_json(self, value: Any) -> Any:
        return list(value)

    def parse(self, text: str) -> Any:
        text = text.strip()
        try:
            if text.startswith("#"):
                values = tuple(int(text[i:i + 2], 16) for i in (1, 3, 5)) if len(text) == 7 else ()
            else:
                values = _numbers(text, int, "R,G,B")
        except (ValueError, OptionsError):
            values = ()
        if len(values) != 3:
            raise OptionsError(f"expected R,G,B (0-255) or #rrggbb, got {text!r}")
        return values

    def format(self, value: Any) -> str:
        return ",".join(str(c) for c in value)


class Boxes(OptionType):
    """Rectangles ``(x0, y0, x1, y1)`` in content pixels with ``x1 > x0`` and ``y1 > y0``;
    written ``X0,Y0,X1,Y1`` and separated by semicolons. The CLI flag is repeatable."""

    tag, json_type, metavar = "boxes", "array of [x0, y0, x1, y1]", "X0,Y0,X1,Y1"
    widget_hint = "; boxes separated by semicolons, in content layer pixels"

    def coerce(self, value: Any) -> Any:
        if not isinstance(value, (list, tuple)):
            raise OptionsError(f"expected a list of [x0, y0, x1, y1], got {value!r}")
        for box in value:
            if (not isinstance(box, (list, tuple)) or len(box) != 4
                    or not all(_is_number(v) and _is_finite(v) for v in box)):
                raise OptionsError(f"each box must be four finite numbers, got {box!r}")
            if box[2] <= box[0] or box[3] <= box[1]:
                raise OptionsError(f"box {list(box)} must have x1 > x0 and y1 > y0")
        return tuple(tuple(float(v) for v in box) for box in value)

    def to_json(self, value: Any) -> Any:
        return [list(box) for box in value]

    def parse(self, text: str) -> Any:
        boxes = []
        for part in (p.strip() for p in text.split(";")):
            if not part:
                continue
            try:
                box = tuple(float(v) for v in part.split(","))
            except ValueError:
                box = ()
            if len(box) != 4 or not all(math.isfinite(v) for v in box):
                raise OptionsError(f"each box is four numbers X0,Y0,X1,Y1, got {part!r}")
            boxes.append(box)
        return tuple(boxes)

    def format(self, value: Any) -> str:
        return "; ".join(",".join(number_text(v) for v in box) for box in value)

    def cli_arguments(self, flag: str, help: str, default: Any) -> dict[str, Any]:
        return {"type": self.parse, "metavar": self.metavar, "action": "extend",
                "help": f"{help} (repeatable)"}
