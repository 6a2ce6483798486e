"""The procedure's arguments in GIMP terms, and the dialog built from them.

:mod:`gimp_plugin.arguments` decides what the arguments are; this module declares them on a
``Gimp.Procedure`` and lays them out in a ``GimpUi.ProcedureDialog``: the style layers and the
main options on the left, the rest in an "Advanced" notebook on the right with a page per
option group; OK is greyed out, with a line saying why, until the choices can run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gi

gi.require_version("Gegl", "0.4")
gi.require_version("Gimp", "3.0")
gi.require_version("GimpUi", "3.0")
gi.require_version("Gtk", "3.0")
from gi.repository import Gegl, Gimp, GimpUi, GObject, Gtk  # noqa: E402

from gimp_plugin import canvas  # noqa: E402
from gimp_plugin.arguments import (  # noqa: E402
    PLUGIN_ARGUMENTS,
    SECOND_STYLE_LAYER,
    SECOND_STYLE_WEIGHT,
    STYLE_LAYER,
    ArgumentSpec,
    mnemonic_labels,
)
from shared import layers  # noqa: E402
from shared.options import MAIN_OPTIONS  # noqa: E402

_FLAGS = GObject.ParamFlags.READWRITE
MAX_FIELD_CHARS = 10  # a number field is as wide as its widest value, up to this


def _choice(spec: ArgumentSpec) -> Gimp.Choice:
    choice = Gimp.Choice.new()
    for index, nick in enumerate(spec.choices):
        choice.add(nick, index, nick.replace("_", " ").capitalize(), "")
    return choice


def register_arguments(procedure: Gimp.Procedure, specs: Sequence[ArgumentSpec]) -> None:
    """Declare ``specs`` on ``procedure`` (names, labels, help, ranges, defaults)."""
    Gegl.init(None)  # a colour button's default is a GEGL colour; GIMP starts GEGL only to run
    ordered = _dialog_order(specs)
    labels = dict(zip([s.name for s in ordered], mnemonic_labels([s.label for s in ordered]),
                      strict=True))
    for spec in specs:
        common = (spec.name, labels[spec.name], spec.blurb)
        if spec.kind == "int":
            procedure.add_int_argument(*common, int(spec.minimum), int(spec.maximum),
                                       int(spec.default), _FLAGS)
        elif spec.kind == "double":
            procedure.add_double_argument(*common, spec.minimum, spec.maximum, spec.default,
                                          _FLAGS)
        elif spec.kind == "boolean":
            procedure.add_boolean_argument(*common, spec.default, _FLAGS)
        elif spec.kind == "choice":
            procedure.add_choice_argument(*common, _choice(spec), spec.default, _FLAGS)
        elif spec.kind == "string":
            procedure.add_string_argument(*common, spec.default, _FLAGS)
        elif spec.kind == "color":
            # Text in the PDB (GIMP 3.0 loses a colour argument's default on its way to
            # other processes: scripts would get black), a colour button in the dialog.
            procedure.add_string_argument(*common, spec.default, _FLAGS)
            procedure.add_color_aux_argument(field_name(spec), labels[spec.name], spec.blurb,
                                             False, _colour(spec, spec.default), _FLAGS)
        elif spec.kind == "layer":
            procedure.add_layer_argument(*common, True, _FLAGS)
        else:
            raise ValueError(f"argument {spec.name} has unknown kind {spec.kind!r}")


def _dialog_order(specs: Sequence[ArgumentSpec]) -> list[ArgumentSpec]:
    """The arguments as the dialog shows them, so the first ones get the first mnemonics."""
    main = [s for s in specs if s.option is None or s.option in MAIN_OPTIONS]
    return main + [s for s in specs if s not in main]


def _colour(spec: ArgumentSpec, text: str) -> Gegl.Color:
    return canvas.gegl_colour(spec.value_type.parse(text))


def field_name(spec: ArgumentSpec) -> str:
    """The config property the dialog shows for ``spec``: a colour's button is an auxiliary
    argument beside its text."""
    return f"{spec.name}-button" if spec.kind == "color" else spec.name


def config_values(config: Gimp.ProcedureConfig, specs: Sequence[ArgumentSpec]) -> dict[str, Any]:
    """The current value of each non-layer argument, by argument name."""
    return {spec.name: config.get_property(spec.name) for spec in specs if spec.kind != "layer"}


def _buttons_from_text(config: Gimp.ProcedureConfig, specs: Sequence[ArgumentSpec]) -> None:
    for spec in specs:
        if spec.kind == "color":
            config.set_property(field_name(spec), _colour(spec, config.get_property(spec.name)))


def _text_from_buttons(config: Gimp.ProcedureConfig, specs: Sequence[ArgumentSpec]) -> None:
    for spec in specs:
        if spec.kind == "color":
            rgb = canvas.rgb_of(config.get_property(field_name(spec)))
            config.set_property(spec.name, spec.value_type.format(rgb))


def chosen_styles(config: Gimp.ProcedureConfig, content: layers.SelectedItem
                  ) -> tuple[list[layers.SelectedItem], list[float] | None]:
    """The style layers the config names, checked against ``content``, and their weights
    (None for one style). Raises :class:`layers.SelectionError` saying what to choose."""
    first = config.get_property(STYLE_LAYER)
    styles = [layers.check_style(None if first is None else canvas.describe(first), content)]
    second = config.get_property(SECOND_STYLE_LAYER)
    weight = config.get_property(SECOND_STYLE_WEIGHT)
    if second is None or weight <= 0:
        return styles, None
    styles.append(layers.check_style(canvas.describe(second), content))
    return styles, [1.0, weight]


def _problem(config: Gimp.ProcedureConfig, drawables: Sequence[Gimp.Drawable]) -> str | None:
    """What keeps OK from running the choices, in one line; None when they can run."""
    try:
        chosen_styles(config, layers.pick_content([canvas.describe(d) for d in drawables]))
    except layers.SelectionError as err:
        return str(err)
    return None


def _make_field(dialog: GimpUi.ProcedureDialog, spec: ArgumentSpec) -> None:
    """Create the field of ``spec`` where GIMP's default would not show it faithfully: numbers
    with the option's digits and step (GIMP picks the digits from the range, so 0.015 read
    0.0), text as a labelled line, a colour as a colour button."""
    if spec.kind in ("int", "double"):
        field = dialog.get_widget(spec.name, GimpUi.LabelSpin.__gtype__)
        field.set_digits(spec.digits)
        widest = max(len(f"{bound:.{spec.digits}f}") for bound in (spec.minimum, spec.maximum))
        field.get_spin_button().set_width_chars(min(widest, MAX_FIELD_CHARS))
        if spec.step:
            span = spec.maximum - spec.minimum
            field.set_increments(min(spec.step, span), min(spec.step * 10, span))
    elif spec.kind == "string":
        dialog.get_widget(spec.name, GimpUi.LabelEntry.__gtype__)
    elif spec.kind == "color":
        dialog.get_color_widget(field_name(spec), True, GimpUi.ColorAreaType.FLAT)


def _fill_advanced(dialog: GimpUi.ProcedureDialog, specs: Sequence[ArgumentSpec]) -> str:
    """A notebook with one page per option group beyond the main ones; returns its id."""
    groups: dict[str, list[str]] = {}
    for spec in specs:
        if spec.option is not None and spec.option not in MAIN_OPTIONS:
            groups.setdefault(spec.group, []).append(field_name(spec))
    titles, pages = [], []
    for group, names in groups.items():
        dialog.fill_box(f"{group}-page", names).set_border_width(6)
        dialog.get_label(f"{group}-tab", group.capitalize(), False, False)
        titles.append(f"{group}-tab")
        pages.append(f"{group}-page")
    dialog.fill_notebook("advanced-notebook", titles, pages)
    dialog.get_label("advanced-title", "Advanced", False, False)
    dialog.fill_frame("advanced", "advanced-title", False, "advanced-notebook")
    return "advanced"


def build_dialog(procedure: Gimp.Procedure, config: Gimp.ProcedureConfig,
                 specs: Sequence[ArgumentSpec],
                 drawables: Sequence[Gimp.Drawable]) -> GimpUi.ProcedureDialog:
    """The dialog, not yet shown: the style layers and main options on the left, every other
    option in an "Advanced" notebook on the right (so it fits a 768-pixel-high screen), and a
    line under the main options that says what to choose while OK cannot run."""
    dialog = GimpUi.ProcedureDialog(procedure=procedure, config=config,
                                    title="Portrait Stylization")
    _buttons_from_text(config, specs)
    for spec in specs:
        _make_field(dialog, spec)
    main = [spec.name for spec in PLUGIN_ARGUMENTS]
    main += [field_name(spec) for spec in specs if spec.option in MAIN_OPTIONS]
    problem = dialog.get_label("problem", "", False, False)
    problem.set_line_wrap(True)
    problem.set_max_width_chars(40)
    problem.set_xalign(0.0)
    dialog.fill_box("main", [*main, "problem"])
    columns = dialog.fill_box("columns", ["main", _fill_advanced(dialog, specs)])
    columns.set_orientation(Gtk.Orientation.HORIZONTAL)
    columns.set_spacing(12)
    dialog.fill(["columns"])

    def check(*_args: object) -> None:
        text = _problem(config, drawables)
        problem.set_text(text or "")
        problem.set_visible(text is not None)
        dialog.set_response_sensitive(Gtk.ResponseType.OK, text is None)

    for name in (STYLE_LAYER, SECOND_STYLE_LAYER, SECOND_STYLE_WEIGHT):
        config.connect(f"notify::{name}", check)
    dialog.connect("show", check)
    return dialog


def run_dialog(procedure: Gimp.Procedure, config: Gimp.ProcedureConfig,
               specs: Sequence[ArgumentSpec], drawables: Sequence[Gimp.Drawable]) -> bool:
    """Show the dialog; True when the user pressed OK (the config then holds the choices,
    which can run: OK stays greyed out until they can)."""
    GimpUi.init(procedure.get_name())
    dialog = build_dialog(procedure, config, specs, drawables)
    accepted = dialog.run()
    dialog.destroy()
    if accepted:
        _text_from_buttons(config, specs)
    return bool(accepted)
