"""The GIMP procedure's arguments, generated from the engine's option definitions.

Every engine option becomes one procedure argument whose name is the option name with dashes
(``content_weight`` → ``content-weight``), so scripts set them on the procedure's config by the
names they know from the CLI and the protocol. Labels, help, ranges, steps, digits and defaults
all come from :func:`shared.options.option_specs`, and each option's value type converts between
its value and the argument's (:data:`GIMP_KINDS` maps its widget kind to GIMP's argument kind);
nothing is restated here. A few arguments belong to the
plug-in alone (the style layers, the second style's weight, the preview interval).

Pure Python: imported by the plug-in inside GIMP and by the tests outside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.option_lists import Colour
from shared.option_types import OptionType
from shared.options import Options, OptionsError, OptionSpec, option_specs
from shared.plugin_settings import DEFAULT_PREVIEW_INTERVAL
from shared.result_size import SIZE_CHOICES, choice_for

GIMP_INT_MAX = 2**31 - 1  # procedure int arguments are C ints
DOUBLE_LIMIT = 1e9  # stands in for "no bound" on double arguments
# The procedure argument kind for each editor-neutral widget kind of an option type.
GIMP_KINDS = {"float": "double", "int": "int", "bool": "boolean", "choice": "choice",
              "text": "string"}


@dataclass(frozen=True)
class ArgumentSpec:
    """One procedure argument. ``kind`` is ``int``, ``double``, ``boolean``, ``choice``,
    ``string``, ``color`` (text ``R,G,B`` for scripts, a colour button in the dialog) or
    ``layer``;
    ``option`` names the engine option it feeds (None for the plug-in's own arguments) and
    ``value_type`` is that option's type, which converts between the argument's value and the
    option's. ``step`` and ``digits`` are a number field's increment and the most decimal
    digits it shows (``digits`` 0 for ints); ``words`` the words it shows for some values
    (``{-1: "auto", 0: "off"}``: :func:`shared.option_types.field_text`)."""

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
    value_type: OptionType | None = None
    step: float | None = None
    digits: int = 0
    words: dict[int, str] = field(default_factory=dict)


def argument_name(option: str) -> str:
    """The procedure argument for an engine option: underscores become dashes."""
    return option.replace("_", "-")


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


def _bounds(kind: str, spec: OptionSpec) -> tuple[float | None, float | None]:
    """A number argument's range within what GIMP's int and double arguments hold."""
    low, high = spec.type.widget_range()
    if kind == "int":
        return (-GIMP_INT_MAX if low is None else int(low),
                GIMP_INT_MAX if high is None else min(int(high), GIMP_INT_MAX))
    if kind == "double":
        return (-DOUBLE_LIMIT if low is None else float(low),
                DOUBLE_LIMIT if high is None else float(high))
    return None, None


def _from_spec(spec: OptionSpec) -> ArgumentSpec:
    # A colour is text for scripts, as on the command line, and a colour button in the dialog.
    kind = "color" if isinstance(spec.type, Colour) else GIMP_KINDS[spec.type.widget]
    minimum, maximum = _bounds(kind, spec)
    return ArgumentSpec(
        name=argument_name(spec.name), kind=kind, label=spec.label,
        blurb=spec.tooltip + spec.type.widget_hint,
        default=spec.type.to_widget(spec.default),
        minimum=minimum, maximum=maximum, choices=spec.choices, group=spec.group,
        option=spec.name, value_type=spec.type, step=spec.step, digits=spec.digits,
        words=dict(spec.type.widget_words))


def option_arguments(specs: Sequence[OptionSpec] | None = None) -> list[ArgumentSpec]:
    """One argument per engine option, in the options' declaration order."""
    return [_from_spec(spec) for spec in (option_specs() if specs is None else specs)]


STYLE_LAYER = "style-layer"
SECOND_STYLE_LAYER = "second-style-layer"
SECOND_STYLE_WEIGHT = "second-style-weight"
PREVIEW_INTERVAL = "preview-interval"

PLUGIN_ARGUMENTS = (
    ArgumentSpec(STYLE_LAYER, "layer", "Style layer", "The picture whose look is painted onto "
                 "the portrait: a painting, a texture (any layer of an open image).",
                 group="layers"),
    ArgumentSpec(SECOND_STYLE_LAYER, "layer", "Second style layer", "Optional: a second "
                 "picture whose look is blended with the first.", group="layers"),
    ArgumentSpec(SECOND_STYLE_WEIGHT, "double", "Second style share", "How much of the "
                 "second style's look is mixed in, relative to the first (1: equal).",
                 default=1.0, minimum=0.0, maximum=100.0, group="layers", step=0.1, digits=2),
    ArgumentSpec(PREVIEW_INTERVAL, "int", "Preview every (steps)", "Shows the painting so "
                 "far in the new layer every this many steps (0: no preview).",
                 default=DEFAULT_PREVIEW_INTERVAL, minimum=0, maximum=100000, group="layers",
                 step=1),
)


# The dialog shows the result size in words beside its number (end-scale), which is what a
# script sets: an auxiliary argument of the dialog alone, each choice one end_scale.
RESULT_SIZE = "result-size"
RESULT_SIZE_ARGUMENT = ArgumentSpec(
    RESULT_SIZE, "size", "Result size", "How big the picture is painted before it is fitted "
    "to the layer: the layer's own size shows the finest strokes and takes longest; a smaller "
    "size is faster and is scaled up, which the new layer's name then says.",
    default=choice_for(Options().end_scale).nick,
    choices=tuple(choice.nick for choice in SIZE_CHOICES))


def dialog_arguments() -> list[ArgumentSpec]:
    """All arguments of Filters ▸ Artistic ▸ Portrait Stylization…, plug-in ones first."""
    return [*PLUGIN_ARGUMENTS, *option_arguments()]


def engine_options(values: Mapping[str, Any]) -> Options:
    """Engine options from the procedure's argument values (keyed by argument name).

    Values of absent arguments take the option's default. Raises :class:`OptionsError` naming
    the argument (by label) whose text cannot be read, or the option that is not acceptable."""
    chosen: dict[str, Any] = {}
    for argument in option_arguments():
        if argument.name not in values:
            continue
        try:
            chosen[argument.option] = argument.value_type.from_widget(values[argument.name])
        except OptionsError as err:
            raise OptionsError(f"{argument.label}: {err}") from None
    return Options.from_dict(chosen)


def argument_values(options: Options) -> dict[str, Any]:
    """The procedure's argument values (by argument name) for engine options: the inverse of
    :func:`engine_options`."""
    return {argument.name: argument.value_type.to_widget(getattr(options, argument.option))
            for argument in option_arguments()}
