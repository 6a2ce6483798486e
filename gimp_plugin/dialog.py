"""The procedure's arguments in GIMP terms, and the dialog built from them.

:mod:`gimp_plugin.arguments` decides what the arguments are; this module declares them on a
``Gimp.Procedure`` and lays them out in a ``GimpUi.ProcedureDialog``: the style layers and the
main options on the left, the rest in an "Advanced" notebook on the right with a page per
option group; OK is greyed out, with a line saying why, until the choices can run. The result
size is offered in words ("Layer size (600×400)", "512 px — fast", …) above its number, with a
line saying whether the result will be scaled up and, on a CPU, roughly how long it takes.
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
    RESULT_SIZE,
    RESULT_SIZE_ARGUMENT,
    SECOND_STYLE_LAYER,
    SECOND_STYLE_WEIGHT,
    STYLE_LAYER,
    ArgumentSpec,
    argument_name,
    engine_options,
    mnemonic_labels,
)
from shared import layers, result_size  # noqa: E402
from shared.option_types import field_text, field_value, number_text  # noqa: E402
from shared.options import MAIN_OPTIONS, OptionsError  # noqa: E402

_FLAGS = GObject.ParamFlags.READWRITE
MAX_FIELD_CHARS = 10  # a number field is as wide as its widest value, up to this
END_SCALE = argument_name("end_scale")
SIZE_NOTE = "size-note"
# The arguments that change the ladder, hence what the size note says.
LADDER = (END_SCALE, "min-scale", "iterations", "initial-iterations", "high-scale-iterations")


def _choice(spec: ArgumentSpec) -> Gimp.Choice:
    choice = Gimp.Choice.new()
    for index, nick in enumerate(spec.choices):
        choice.add(nick, index, nick.replace("_", " ").capitalize(), "")
    return choice


def register_arguments(procedure: Gimp.Procedure, specs: Sequence[ArgumentSpec]) -> None:
    """Declare ``specs`` on ``procedure`` (names, labels, help, ranges, defaults), and beside
    end-scale the dialog's result size in words (an auxiliary argument)."""
    Gegl.init(None)  # a colour button's default is a GEGL colour; GIMP starts GEGL only to run
    ordered = _dialog_order(specs)
    labels = dict(zip([s.name for s in ordered], mnemonic_labels([s.label for s in ordered]),
                      strict=True))
    if RESULT_SIZE in labels:
        procedure.add_choice_aux_argument(RESULT_SIZE, labels[RESULT_SIZE],
                                          RESULT_SIZE_ARGUMENT.blurb, _size_choice(),
                                          RESULT_SIZE_ARGUMENT.default, _FLAGS)
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


# GIMP 3.0's add_choice_aux_argument does not take its own reference to the choice (unlike
# add_choice_argument): without this one, Python frees it and the procedure's config fails.
_AUX_CHOICES: list[Gimp.Choice] = []


def _size_choice() -> Gimp.Choice:
    choice = Gimp.Choice.new()
    for index, size in enumerate(result_size.SIZE_CHOICES):
        choice.add(size.nick, index, size.label, "")
    _AUX_CHOICES.append(choice)
    return choice


def _dialog_order(specs: Sequence[ArgumentSpec]) -> list[ArgumentSpec]:
    """The arguments as the dialog shows them, so the first ones get the first mnemonics; the
    result size in words comes just before its number."""
    main = [s for s in specs if s.option is None or s.option in MAIN_OPTIONS]
    shown = [shown for s in main
             for shown in ((RESULT_SIZE_ARGUMENT, s) if s.name == END_SCALE else (s,))]
    return shown + [s for s in specs if s not in main]


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
    with the places their value needs and at least their step's (GIMP picks the digits from
    the range, so 0.015 read 0.0; the range's 1e-06 made 0.02 read 0.020000) and words for
    special values (tile size -1: auto), text as a labelled line, a colour as a colour
    button."""
    if spec.kind in ("int", "double"):
        field = dialog.get_widget(spec.name, GimpUi.LabelSpin.__gtype__)
        field.set_digits(spec.digits)  # the most places a typed value keeps
        spin = field.get_spin_button()
        shown = [field_text(value, spec.step, spec.digits, spec.words)
                 for value in (spec.minimum, spec.maximum, *spec.words)]
        spin.set_width_chars(min(max(len(text) for text in shown), MAX_FIELD_CHARS))
        if spec.step:
            span = spec.maximum - spec.minimum
            field.set_increments(min(spec.step, span), min(spec.step * 10, span))
        # A text that is no number (a word, a typo) keeps the value rather than reading as 0.
        spin.set_update_policy(Gtk.SpinButtonUpdatePolicy.IF_VALID)
        spin.connect("output", _show_number, spec)
        if spec.words:
            spin.set_numeric(False)  # GIMP's spin buttons drop letters: "auto" became ""
            spin.connect("activate", _read_word, spec)
            spin.connect("focus-out-event", _read_word, spec)
        _show_number(spin, spec)
    elif spec.kind == "string":
        dialog.get_widget(spec.name, GimpUi.LabelEntry.__gtype__)
    elif spec.kind == "color":
        dialog.get_color_widget(field_name(spec), True, GimpUi.ColorAreaType.FLAT)


def _show_number(spin: Gtk.SpinButton, spec: ArgumentSpec) -> bool:
    """The spin button's ``output``: its value as :func:`field_text` writes it."""
    spin.set_text(field_text(spin.get_value(), spec.step, spec.digits, spec.words))
    return True


def _read_word(spin: Gtk.SpinButton, *args: object) -> bool:
    """Before the spin button reads its text (Enter, leaving the field): a word typed in it
    (``auto``, ``off``) becomes the number it stands for (:func:`field_value`). (GTK's
    ``input`` signal would be the place, but PyGObject cannot set its out-argument.)"""
    spec = args[-1]
    value = field_value(spin.get_text(), spec.words)
    if value is not None:
        spin.set_text(number_text(value))
    return False


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


def _name_the_layer_size(dialog: GimpUi.ProcedureDialog, label: str) -> None:
    """Give the layer entry of the result-size list the layer's size, e.g. ``Layer size
    (600×400)`` (the choice's labels are fixed when the procedure is declared)."""
    combo = dialog.get_widget(RESULT_SIZE, GObject.TYPE_NONE).get_widget()
    id_column, label_column = combo.get_property("id-column"), combo.get_property("label-column")
    for row in combo.get_model():
        if row[id_column] == result_size.LAYER_SIZE.nick:
            row[label_column] = label


def _main_fields(specs: Sequence[ArgumentSpec]) -> list[str]:
    """The left column: the plug-in's arguments, then the main options, the result size in
    words above its number and the line about it."""
    main = [spec.name for spec in PLUGIN_ARGUMENTS]
    for spec in specs:
        if spec.option in MAIN_OPTIONS:
            main += ([RESULT_SIZE, END_SCALE, SIZE_NOTE] if spec.name == END_SCALE
                     else [field_name(spec)])
    return main


def _wrapped_label(dialog: GimpUi.ProcedureDialog, name: str, chars: int = 40) -> Gtk.Label:
    label = dialog.get_label(name, "", False, False)
    label.set_line_wrap(True)
    label.set_max_width_chars(chars)
    label.set_xalign(0.0)
    return label


class SizeWords:
    """Keeps the result size in words and end-scale in step (each choice one end_scale; any
    other number is "Other") and the line under them up to date: whether the result is scaled
    up to the layer and, on a CPU, roughly how long it takes
    (:func:`shared.result_size.size_note`)."""

    def __init__(self, config: Gimp.ProcedureConfig, specs: Sequence[ArgumentSpec],
                 note: Gtk.Label, content_size: tuple[int, int] | None,
                 device: str | None) -> None:
        self.config, self.specs, self.note = config, specs, note
        self.content_size, self.device = content_size, device
        self.scale_set()
        config.connect(f"notify::{RESULT_SIZE}", self.size_chosen)
        for name in LADDER:
            config.connect(f"notify::{name}", self.scale_set)

    def size_chosen(self, *_args: object) -> None:
        nick = self.config.get_property(RESULT_SIZE)
        chosen = next(size for size in result_size.SIZE_CHOICES if size.nick == nick)
        if chosen.end_scale is not None and chosen.end_scale != self.config.get_property(
                END_SCALE):
            self.config.set_property(END_SCALE, chosen.end_scale)  # notifies scale_set
        else:
            self.show_note()

    def scale_set(self, *_args: object) -> None:
        nick = result_size.choice_for(self.config.get_property(END_SCALE)).nick
        if nick != self.config.get_property(RESULT_SIZE):
            self.config.set_property(RESULT_SIZE, nick)
        self.show_note()

    def show_note(self) -> None:
        text = ""
        if self.content_size is not None:
            try:
                options = engine_options(config_values(self.config, self.specs))
                text = result_size.size_note(options, self.content_size, self.device)
            except OptionsError:
                text = ""  # OK then says what to fix
        self.note.set_text(text)
        self.note.set_visible(bool(text))


def build_dialog(procedure: Gimp.Procedure, config: Gimp.ProcedureConfig,
                 specs: Sequence[ArgumentSpec], drawables: Sequence[Gimp.Drawable],
                 device: str | None = None) -> GimpUi.ProcedureDialog:
    """The dialog, not yet shown: the style layers and main options on the left, every other
    option in an "Advanced" notebook on the right (so it fits a 768-pixel-high screen), and a
    line under the main options that says what to choose while OK cannot run. ``device`` is
    the backend's (as its health reply names it; None: unknown), for the size line's time."""
    dialog = GimpUi.ProcedureDialog(procedure=procedure, config=config,
                                    title="Portrait Stylization")
    _buttons_from_text(config, specs)
    for spec in specs:
        _make_field(dialog, spec)
    stylized = canvas.stylized_size(drawables[0]) if len(drawables) == 1 else None
    content_size = None if stylized is None else stylized[:2]
    if stylized is not None:
        _name_the_layer_size(dialog, result_size.choice_label(result_size.LAYER_SIZE,
                                                              content_size, stylized[2]))
    sizes = SizeWords(config, specs, _wrapped_label(dialog, SIZE_NOTE, 34), content_size,
                      device)
    problem = _wrapped_label(dialog, "problem")
    dialog.fill_box("main", [*_main_fields(specs), "problem"])
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
    dialog.connect("show", lambda *_args: sizes.show_note())
    return dialog


def run_dialog(procedure: Gimp.Procedure, config: Gimp.ProcedureConfig,
               specs: Sequence[ArgumentSpec], drawables: Sequence[Gimp.Drawable],
               device: str | None = None) -> bool:
    """Show the dialog; True when the user pressed OK (the config then holds the choices,
    which can run: OK stays greyed out until they can)."""
    GimpUi.init(procedure.get_name())
    dialog = build_dialog(procedure, config, specs, drawables, device)
    accepted = dialog.run()
    dialog.destroy()
    if accepted:
        _text_from_buttons(config, specs)
    return bool(accepted)
