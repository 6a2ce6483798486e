"""The engine options as Qt widgets, generated from the one options definition.

Every option of :mod:`shared.options` gets one editor chosen by its widget kind (a number field
with the option's range, step and digits; a check box; a choice; a one-line text), labelled and
explained (tooltip) from the definition. The main options come first; the rest sit in an
"Advanced" section, one group box per option group, folded away until asked for. Nothing about
an option is restated here.
"""

from __future__ import annotations

from typing import Any

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from krita_plugin.option_fields import FieldSpec, field_specs
from shared.options import MAIN_OPTIONS, Options

QT_INT_MAX = 2**31 - 1
UNBOUNDED = 1e9  # a double spin box needs finite bounds


def _number_editor(spec: FieldSpec) -> QWidget:
    low, high = spec.widget_range
    if spec.widget == "int":
        editor = QSpinBox()
        editor.setRange(int(max(low if low is not None else -QT_INT_MAX, -QT_INT_MAX)),
                        int(min(high if high is not None else QT_INT_MAX, QT_INT_MAX)))
        if spec.special_text:
            editor.setSpecialValueText(spec.special_text)
        return editor
    editor = QDoubleSpinBox()
    editor.setDecimals(spec.digits)
    editor.setRange(-UNBOUNDED if low is None else low, UNBOUNDED if high is None else high)
    editor.setSingleStep(spec.step)
    return editor


def make_editor(spec: FieldSpec) -> QWidget:
    """The widget for one option, showing its default."""
    if spec.widget in ("int", "float"):
        editor = _number_editor(spec)
    elif spec.widget == "bool":
        editor = QCheckBox()
    elif spec.widget == "choice":
        editor = QComboBox()
        for choice in spec.choices:
            editor.addItem(choice.replace("_", " ").capitalize(), choice)
    else:
        editor = QLineEdit()
    editor.setObjectName(f"option_{spec.name}")
    editor.setToolTip(spec.help)
    set_editor_value(editor, spec, spec.to_widget(spec.default))
    return editor


def set_editor_value(editor: QWidget, spec: FieldSpec, raw: Any) -> None:
    if spec.widget in ("int", "float"):
        editor.setValue(raw)
    elif spec.widget == "bool":
        editor.setChecked(bool(raw))
    elif spec.widget == "choice":
        editor.setCurrentIndex(editor.findData(raw))
    else:
        editor.setText(raw)


def editor_value(editor: QWidget, spec: FieldSpec) -> Any:
    if spec.widget in ("int", "float"):
        return editor.value()
    if spec.widget == "bool":
        return editor.isChecked()
    if spec.widget == "choice":
        return editor.currentData()
    return editor.text()


class OptionForm(QWidget):
    """The main options, then a foldable "Advanced" section with the others by group."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.specs = field_specs()
        self.editors: dict[str, QWidget] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        main = QFormLayout()
        layout.addLayout(main)
        self.advanced_button = QToolButton()
        self.advanced_button.setObjectName("advanced_toggle")
        self.advanced_button.setText("Advanced")
        self.advanced_button.setCheckable(True)
        self.advanced_button.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.advanced_button.setArrowType(Qt.RightArrow)
        layout.addWidget(self.advanced_button)
        self.advanced = QWidget()
        self.advanced.setObjectName("advanced_section")
        advanced_layout = QVBoxLayout(self.advanced)
        advanced_layout.setContentsMargins(0, 0, 0, 0)
        groups: dict[str, QFormLayout] = {}
        for spec in self.specs:
            editor = make_editor(spec)
            self.editors[spec.name] = editor
            if spec.name in MAIN_OPTIONS:
                main.addRow(spec.label, editor)
                continue
            if spec.group not in groups:
                box = QGroupBox(f"{spec.group.capitalize()} options")
                groups[spec.group] = QFormLayout(box)
                advanced_layout.addWidget(box)
            groups[spec.group].addRow(spec.label, editor)
        layout.addWidget(self.advanced)
        self.advanced.setVisible(False)
        self.advanced_button.toggled.connect(self._show_advanced)

    def _show_advanced(self, shown: bool) -> None:
        self.advanced.setVisible(shown)
        self.advanced_button.setArrowType(Qt.DownArrow if shown else Qt.RightArrow)

    def options(self) -> dict[str, Any]:
        """The validated options the widgets hold; raises
        :class:`shared.options.OptionsError` naming the first one that is not acceptable."""
        values = {spec.name: spec.from_widget(editor_value(self.editors[spec.name], spec))
                  for spec in self.specs}
        return Options.from_dict(values).to_dict()

    def set_options(self, options: dict[str, Any]) -> None:
        """Show ``options`` (a complete, valid options dict)."""
        for spec in self.specs:
            set_editor_value(self.editors[spec.name], spec, spec.to_widget(options[spec.name]))
