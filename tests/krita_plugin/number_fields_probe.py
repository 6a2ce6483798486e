"""Run by Debian's Python 3 with its PyQt5 (the Python and Qt that Krita's plug-ins get), on
Qt's offscreen platform: builds the docker's option form, shows values in its number fields,
types text into them as a user would, and writes what they show and hold as JSON to argv[1].
Driven by tests/krita_plugin/test_number_fields.py."""

from __future__ import annotations

import json
import sys

from PyQt5.QtCore import Qt
from PyQt5.QtTest import QTest
from PyQt5.QtWidgets import QAbstractSpinBox, QApplication

from krita_plugin.number_fields import DecimalField
from krita_plugin.option_form import OptionForm, editor_value, set_editor_value

SHOWN = [("content_weight", 0.015), ("mesh_weight", 0.005), ("style_scale_fac", 1.0),
         ("face_jitter", 0.25), ("step_size", 0.02), ("tile_size", -1), ("tile_size", 0),
         ("tile_size", 256), ("style_size", 0), ("style_size", 512)]
TYPED = [("tile_size", "auto"), ("tile_size", "OFF"), ("tile_size", " Auto "),
         ("tile_size", "256"), ("mesh_weight", "0.005"), ("mesh_weight", "0.015"),
         ("content_weight", "0.015"), ("style_scale_fac", "1"), ("face_jitter", "0.25"),
         ("step_size", "0.02"), ("style_size", "not set"), ("style_size", "640")]


def type_into(editor, text: str, enter: bool = True) -> None:
    """Select the field's text and type ``text`` over it, then press Enter."""
    editor.lineEdit().selectAll()
    QTest.keyClicks(editor.lineEdit(), text)
    if enter:
        QTest.keyClick(editor.lineEdit(), Qt.Key_Return)


def shown(form: OptionForm) -> list:
    report = []
    for name, raw in SHOWN:
        editor = form.editors[name]
        set_editor_value(editor, form_spec(form, name), raw)
        report.append([name, raw, editor.text()])
    return report


def typed(form: OptionForm) -> list:
    report = []
    for name, text in TYPED:
        editor = form.editors[name]
        type_into(editor, text)
        report.append([name, text, editor.text(), editor_value(editor, form_spec(form, name)),
                       form.options().to_dict()[name]])
    return report


def stepped(form: OptionForm) -> dict:
    """Three steps up from 0 in mesh weight (step 0.005), one from 0.02 in step size."""
    mesh, step_size = form.editors["mesh_weight"], form.editors["step_size"]
    mesh.setValue(0.0)
    steps = []
    for _ in range(3):
        mesh.stepUp()
        steps.append([mesh.text(), mesh.value()])
    step_size.setValue(0.02)
    step_size.stepUp()
    return {"mesh_weight": steps, "step_size": [step_size.text(), step_size.value()],
            "sent": [form.options().to_dict()[n] for n in ("mesh_weight", "step_size")]}


def refused(form: OptionForm) -> dict:
    """Text that is no value: letters no word starts with are not taken; a word's start left
    unfinished, or a number out of range, goes back to the last value on Enter."""
    tile, mesh = form.editors["tile_size"], form.editors["mesh_weight"]
    tile.setValue(512)
    type_into(tile, "xyz", enter=False)
    letters = [tile.lineEdit().text(), tile.value()]
    type_into(tile, "au", enter=False)
    partial = [tile.lineEdit().text(), tile.value()]
    QTest.keyClick(tile.lineEdit(), Qt.Key_Return)
    mesh.setValue(0.25)
    type_into(mesh, "-3")
    return {"letters": letters, "partial": partial, "unfinished": [tile.text(), tile.value()],
            "below_range": [mesh.text(), mesh.value()]}


def style_weight() -> list:
    """A style weight box of the docker (as GIMP's second style share: step 0.1, 2 places)."""
    weight = DecimalField(0.1, 2)
    weight.setRange(0.0, 100.0)
    shown = []
    for value in (1.0, 0.25, 0.5):
        weight.setValue(value)
        shown.append(weight.text())
    return shown


def form_spec(form: OptionForm, name: str):
    return next(spec for spec in form.specs if spec.name == name)


def main() -> None:
    _application = QApplication(["number_fields_probe"])  # kept alive while widgets live
    form = OptionForm()
    form.advanced_button.click()
    form.show()
    report = {"defaults": {name: editor.text() for name, editor in form.editors.items()
                           if isinstance(editor, QAbstractSpinBox)},
              "shown": shown(form), "typed": typed(form), "stepped": stepped(form),
              "refused": refused(form), "style_weight": style_weight()}
    with open(sys.argv[1], "w") as out:
        json.dump(report, out)


if __name__ == "__main__":
    main()
