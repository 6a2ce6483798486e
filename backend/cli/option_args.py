"""Command-line flags generated from :class:`shared.options.Options` (one definition)."""

from __future__ import annotations

import argparse
from typing import Any

from shared.options import Options, OptionsError, option_specs


def _numbers(text: str, count: int | None, kind: type, what: str) -> tuple:
    try:
        values = tuple(kind(part) for part in text.replace(" ", "").split(",") if part)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if not values or (count is not None and len(values) != count):
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
    return values


def _box(text: str) -> tuple[float, ...]:
    return _numbers(text, 4, float, "X0,Y0,X1,Y1")


def _layers(text: str) -> tuple[int, ...]:
    return _numbers(text, None, int, "comma-separated layer indices such as 0,1,3,4,5")


def _colour(text: str) -> tuple[int, ...]:
    if text.startswith("#") and len(text) == 7:
        try:
            return tuple(int(text[i:i + 2], 16) for i in (1, 3, 5))
        except ValueError:
            pass
    return _numbers(text, 3, int, "R,G,B (0-255) or #rrggbb")


def add_option_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per option, named after it with dashes; every default is None so only what the
    user gave is passed on, and Options supplies the rest."""
    groups: dict[str, Any] = {}
    for spec in option_specs():
        group = groups.setdefault(spec["group"], parser.add_argument_group(
            f"{spec['group']} options"))
        flag = "--" + (spec["flag"] or spec["name"].replace("_", "-"))
        default = spec["default"]
        help_text = f"{spec['help']} (default: {default})"
        kind = spec["type"]
        kwargs: dict[str, Any] = {"dest": spec["name"], "default": None, "help": help_text}
        if kind == "bool":
            negated = spec["flag"] is not None and spec["flag"].startswith("no-")
            kwargs["action"] = "store_false" if negated else "store_true"
            kwargs["help"] = spec["help"]
        elif kind == "boxes":
            kwargs.update(action="append", type=_box, metavar="X0,Y0,X1,Y1",
                          help=spec["help"] + " (repeatable)")
        elif spec["name"] == "background_colour":
            kwargs.update(type=_colour, metavar="R,G,B")
        elif kind == "ints":
            kwargs.update(type=_layers, metavar="I,J,...")
        elif kind == "str":
            kwargs.update(choices=spec["choices"])
        else:
            kwargs.update(type=float if kind == "float" else int, metavar="N")
        group.add_argument(flag, **kwargs)


def options_from_args(args: argparse.Namespace, base: Options | None = None) -> Options:
    """The Options the user asked for: ``base`` (or the defaults) overridden by given flags."""
    given = {spec["name"]: getattr(args, spec["name"]) for spec in option_specs()
             if getattr(args, spec["name"], None) is not None}
    if "face_boxes" in given:
        given["face_boxes"] = tuple(given["face_boxes"])
    try:
        return (base or Options()).replace(**given)
    except OptionsError as err:
        raise argparse.ArgumentTypeError(str(err)) from err
