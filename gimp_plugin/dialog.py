"""The procedure's arguments in GIMP terms, and the dialog built from them.

:mod:`gimp_plugin.arguments` decides what the arguments are; this module declares them on a
``Gimp.Procedure`` and lays them out in a ``GimpUi.ProcedureDialog``: the style layers and the
main options first, the rest in an "Advanced" expander, grouped as the options are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("GimpUi", "3.0")
gi.require_version("Gtk", "3.0")
from gi.repository import Gimp, GimpUi, GObject, Gtk  # noqa: E402

from gimp_plugin.arguments import (  # noqa: E402
    PLUGIN_ARGUMENTS,
    ArgumentSpec,
    mnemonic_labels,
)
from shared.options import MAIN_OPTIONS  # noqa: E402

_FLAGS = GObject.ParamFlags.READWRITE


def _choice(spec: ArgumentSpec) -> Gimp.Choice:
    choice = Gimp.Choice.new()
    for index, nick in enumerate(spec.choices):
        choice.add(nick, index, nick.replace("_", " ").capitalize(), "")
    return choice


def register_arguments(procedure: Gimp.Procedure, specs: Sequence[ArgumentSpec]) -> None:
    """Declare ``specs`` on ``procedure`` (names, labels, help, ranges, defaults)."""
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
        elif spec.kind == "layer":
            procedure.add_layer_argument(*common, True, _FLAGS)
        else:
            raise ValueError(f"argument {spec.name} has unknown kind {spec.kind!r}")


def _dialog_order(specs: Sequence[ArgumentSpec]) -> list[ArgumentSpec]:
    """The arguments as the dialog shows them, so the first ones get the first mnemonics."""
    main = [s for s in specs if s.option is None or s.option in MAIN_OPTIONS]
    return main + [s for s in specs if s not in main]


def config_values(config: Gimp.ProcedureConfig, specs: Sequence[ArgumentSpec]) -> dict[str, Any]:
    """The current value of each non-layer argument, by argument name."""
    return {spec.name: config.get_property(spec.name) for spec in specs if spec.kind != "layer"}


def run_dialog(procedure: Gimp.Procedure, config: Gimp.ProcedureConfig,
               specs: Sequence[ArgumentSpec]) -> bool:
    """Show the dialog; True when the user pressed OK (the config then holds the choices)."""
    GimpUi.init(procedure.get_name())
    dialog = GimpUi.ProcedureDialog(procedure=procedure, config=config,
                                    title="Portrait Stylization")
    for spec in specs:
        if spec.kind == "string":  # one line each; GIMP's default is a multi-line text view
            dialog.get_widget(spec.name, Gtk.Entry.__gtype__)
    main = [spec.name for spec in PLUGIN_ARGUMENTS]
    main += [spec.name for spec in specs if spec.option in MAIN_OPTIONS]
    groups: dict[str, list[str]] = {}
    for spec in specs:
        if spec.option is not None and spec.option not in MAIN_OPTIONS:
            groups.setdefault(spec.group, []).append(spec.name)
    frames = []
    for group, names in groups.items():
        box_id, title_id = f"{group}-box", f"{group}-title"
        dialog.fill_box(box_id, names)
        dialog.get_label(title_id, f"{group.capitalize()} options", False, False)
        dialog.fill_frame(f"{group}-frame", title_id, False, box_id)
        frames.append(f"{group}-frame")
    dialog.fill_box("advanced-box", frames)
    dialog.get_label("advanced-title", "Advanced", False, False)
    dialog.fill_expander("advanced", "advanced-title", False, "advanced-box")
    dialog.fill([*main, "advanced"])
    accepted = dialog.run()
    dialog.destroy()
    return bool(accepted)
