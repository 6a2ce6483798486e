"""The GIMP procedure's arguments, generated from the engine's option definitions.

Every engine option becomes one procedure argument whose name is the option name with dashes
(``content_weight`` → ``content-weight``), so scripts set them on the procedure's config by the
names they know from the CLI and the protocol. Labels, help, ranges and defaults all come from
:func:`shared.options.option_specs`; nothing is restated here. A few arguments belong to the
plug-in alone (the style layers, the second style's weight, the preview interval).

Pure Python: imported by the plug-in inside GIMP and by the tests outside it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared.options import Options, OptionsError, option_specs

GIMP_INT_MAX = 2**31 - 1  # procedure int arguments are C ints
DOUBLE_LIMIT = 1e9  # stands in for "no bound" on double arguments


@dataclass(frozen=True)
class ArgumentSpec:
    """One procedure argument. ``kind`` is ``int``, ``double``, ``boolean``, ``choice``,
    ``string`` or ``layer``; ``option`` names the engine option it feeds (None for the plug-in's
    own arguments) and ``option_type`` is that option's type in :func:`option_specs`."""

    name: str
    kind: str
    label: str
    blurb: str
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    group: str = "style"
    option: str | None = None
    option_type: str | None = None


def argument_name(option: str) -> str:
    """The procedure argument for an engine option: underscores become dashes."""
    return option.replace("_", "-")


def label_for(name: str) -> str:
    """A dialog label from an option or choice name: ``face_weight`` → ``Face weight``.

    GIMP reads underscores in labels as mnemonic markers, so none may remain."""
    words = name.replace("-", " ").replace("_", " ")
    return words[:1].upper() + words[1:]


# Taken by the buttons of GIMP's procedure dialogs (_OK, _Cancel, _Reset, _Help, _Load Saved
# Settings, _Save Settings).
DIALOG_BUTTON_MNEMONICS = frozenset("ochrls")


def mnemonic_labels(labels: Sequence[str],
                    taken: frozenset[str] = DIALOG_BUTTON_MNEMONICS) -> list[str]:
    """``labels`` with GTK mnemonics: an underscore before the first letter of each that no
    earlier label (nor a dialog button) uses; a label with no free letter gets none."""
    used, marked = set(taken), []
    for label in labels:
        index = next((i for i, char in enumerate(label)
                      if char.isalpha() and char.lower() not in used), None)
        if index is None:
            marked.append(label)
            continue
        used.add(label[index].lower())
        marked.append(f"{label[:index]}_{label[index:]}")
    return marked


def _ints_text(values: Sequence[int]) -> str:
    return ",".join(str(v) for v in values)


def _boxes_text(boxes: Sequence[Sequence[float]]) -> str:
    return "; ".join(",".join(f"{v:g}" for v in box) for box in boxes)


def _from_spec(spec: Mapping[str, Any]) -> ArgumentSpec:
    name, kind, default = spec["name"], spec["type"], spec["default"]
    common = {"name": argument_name(name), "label": label_for(name), "blurb": spec["help"],
              "group": spec["group"], "option": name, "option_type": kind}
    low, high = spec.get("minimum"), spec.get("maximum")
    if kind == "float":
        return ArgumentSpec(kind="double", default=float(default),
                            minimum=-DOUBLE_LIMIT if low is None else float(low),
                            maximum=DOUBLE_LIMIT if high is None else float(high), **common)
    if kind == "int":
        return ArgumentSpec(kind="int", default=int(default),
                            minimum=-GIMP_INT_MAX if low is None else int(low),
                            maximum=GIMP_INT_MAX if high is None else min(int(high),
                                                                          GIMP_INT_MAX),
                            **common)
    if kind == "int?":
        # 0 stands for "not set", which the option's own minimum never allows.
        common["blurb"] = f"{spec['help']} (0: not set)"
        return ArgumentSpec(kind="int", default=0 if default is None else int(default),
                            minimum=0, maximum=min(int(high or GIMP_INT_MAX), GIMP_INT_MAX),
                            **common)
    if kind == "bool":
        return ArgumentSpec(kind="boolean", default=bool(default), **common)
    if kind == "str":
        return ArgumentSpec(kind="choice", default=default, choices=tuple(spec["choices"]),
                            **common)
    if kind == "ints":
        common["blurb"] = f"{spec['help']}; whole numbers separated by commas"
        return ArgumentSpec(kind="string", default=_ints_text(default), **common)
    if kind == "boxes":
        common["blurb"] = (f"{spec['help']}; boxes separated by semicolons, in content layer "
                           "pixels")
        return ArgumentSpec(kind="string", default=_boxes_text(default), **common)
    raise ValueError(f"option {name} has type {kind!r}, which has no GIMP argument mapping")


def option_arguments(specs: Sequence[Mapping[str, Any]] | None = None) -> list[ArgumentSpec]:
    """One argument per engine option, in the options' declaration order."""
    return [_from_spec(spec) for spec in (option_specs() if specs is None else specs)]


STYLE_LAYER = "style-layer"
SECOND_STYLE_LAYER = "second-style-layer"
SECOND_STYLE_WEIGHT = "second-style-weight"
PREVIEW_INTERVAL = "preview-interval"

PLUGIN_ARGUMENTS = (
    ArgumentSpec(STYLE_LAYER, "layer", "Style layer", "the layer whose style is transferred "
                 "(from any open image)", group="layers"),
    ArgumentSpec(SECOND_STYLE_LAYER, "layer", "Second style layer", "an optional second style "
                 "layer, blended with the first", group="layers"),
    ArgumentSpec(SECOND_STYLE_WEIGHT, "double", "Second style weight", "weight of the second "
                 "style relative to the first (1: equal)", default=1.0, minimum=0.0,
                 maximum=100.0, group="layers"),
    ArgumentSpec(PREVIEW_INTERVAL, "int", "Preview interval", "show the result so far every "
                 "this many iterations (0: no preview)", default=25, minimum=0,
                 maximum=100000, group="layers"),
)
# Shown at the top of the dialog; every other option goes into its "Advanced" section.
MAIN_OPTIONS = ("content_weight", "face_weight", "mesh_weight", "end_scale", "background")


def dialog_arguments() -> list[ArgumentSpec]:
    """All arguments of Filters ▸ Artistic ▸ Portrait Stylization…, plug-in ones first."""
    return [*PLUGIN_ARGUMENTS, *option_arguments()]


def _parse_ints(argument: ArgumentSpec, text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.replace(" ", "").split(",") if part)
    except ValueError:
        raise OptionsError(f"{argument.label}: expected whole numbers separated by commas, "
                           f"got {text!r}") from None


def _parse_boxes(argument: ArgumentSpec, text: str) -> tuple[tuple[float, ...], ...]:
    boxes = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        try:
            box = tuple(float(v) for v in part.split(","))
        except ValueError:
            box = ()
        if len(box) != 4 or not all(math.isfinite(v) for v in box):
            raise OptionsError(f"{argument.label}: each box is four numbers X0,Y0,X1,Y1, got "
                               f"{part!r}")
        boxes.append(box)
    return tuple(boxes)


def engine_options(values: Mapping[str, Any]) -> dict[str, Any]:
    """Engine options from the procedure's argument values (keyed by argument name).

    Values of absent arguments take the option's default. Returns the validated, JSON-ready
    options dict; raises :class:`OptionsError` naming the argument that is not acceptable."""
    chosen: dict[str, Any] = {}
    for argument in option_arguments():
        if argument.name not in values:
            continue
        value = values[argument.name]
        if argument.option_type == "int?":
            value = None if value == 0 else value
        elif argument.option_type == "ints":
            value = _parse_ints(argument, value or "")  # GIMP may hand over "" as None
        elif argument.option_type == "boxes":
            value = _parse_boxes(argument, value or "")
        chosen[argument.option] = value
    return Options.from_dict(chosen).to_dict()


def argument_values(options: Mapping[str, Any]) -> dict[str, Any]:
    """The procedure's argument values (by argument name) for an engine options dict: the
    inverse of :func:`engine_options`."""
    values: dict[str, Any] = {}
    for argument in option_arguments():
        value = options[argument.option]
        if argument.option_type == "int?":
            value = 0 if value is None else value
        elif argument.option_type == "ints":
            value = _ints_text(value)
        elif argument.option_type == "boxes":
            value = _boxes_text(value)
        values[argument.name] = value
    return values


def crop_face_boxes(options: Mapping[str, Any], x: int, y: int, width: int,
                    height: int) -> dict[str, Any]:
    """Options for a crop at ``(x, y)`` of ``width`` × ``height`` content pixels: face boxes
    move into the crop's coordinates, are clipped to it, and those left empty are dropped."""
    boxes = []
    for x0, y0, x1, y1 in options.get("face_boxes", ()):
        clipped = (max(x0 - x, 0.0), max(y0 - y, 0.0), min(x1 - x, float(width)),
                   min(y1 - y, float(height)))
        if clipped[2] > clipped[0] and clipped[3] > clipped[1]:
            boxes.append(list(clipped))
    return {**options, "face_boxes": boxes}
