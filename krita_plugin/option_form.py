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
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from krita_plugin.number_fields import DecimalField, WholeField
from shared.options import MAIN_OPTIONS, Options, OptionsError, OptionSpec, option_specs

QT_INT_MAX = 2**31 - 1
UNBOUNDED = 1e9  # a double spin box needs finite bounds


def _number_editor(spec: OptionSpec) -> QWidget:
    """A field showing the option's value as GIMP's dialog does (:mod:`number_fields`)."""
    low, high = spec.type.widget_range()
    if spec.type.widget == "int":
        words = dict(spec.type.widget_words)
        if spec.type.from_widget(0) is None:  # an optional number: 0 stands for "not set"
            words.setdefault(0, "not set")
        editor = WholeField(words)
        editor.setRange(int(max(low if low is not None else -QT_INT_MAX, -QT_INT_MAX)),
                        int(min(high if high is not None else QT_INT_MAX, QT_INT_MAX)))
        return editor
    editor = DecimalField(spec.step, spec.digits)
    editor.setRange(-UNBOUNDED if low is None else low, UNBOUNDED if high is None else high)
    return editor


def make_editor(spec: OptionSpec) -> QWidget:
    """The widget for one option, showing its default."""
    kind = spec.type.widget
    if kind in ("int", "float"):
        editor = _number_editor(spec)
    elif kind == "bool":
        editor = QCheckBox()
    elif kind == "choice":
        editor = QComboBox()
        for choice in spec.choices:
            editor.addItem(choice.replace("_", " ").capitalize(), choice)
    else:
        editor = QLineEdit()
    editor.setObjectName(f"option_{spec.name}")
    editor.setToolTip(spec.tooltip + spec.type.widget_hint)
    set_editor_value(editor, spec, spec.type.to_widget(spec.default))
    return editor


def set_editor_value(editor: QWidget, spec: OptionSpec, raw: Any) -> None:
    kind = spec.type.widget
    if kind in ("int", "float"):
        editor.setValue(raw)
    elif kind == "bool":
        editor.setChecked(bool(raw))
    elif kind == "choice":
        editor.setCurrentIndex(editor.findData(raw))
    else:
        editor.setText(raw)


def editor_value(editor: QWidget, spec: OptionSpec) -> Any:
    """The option's value from its editor (not yet validated); raises
    :class:`OptionsError` naming the field when its text cannot be read."""
    kind = spec.type.widget
    if kind in ("int", "float"):
        raw = editor.value()
    elif kind == "bool":
        raw = editor.isChecked()
    elif kind == "choice":
        raw = editor.currentData()
    else:
        raw = editor.text()
    try:
        return spec.type.from_widget(raw)
    except OptionsError as err:
        raise OptionsError(f"{spec.label}: {err}") from None


class OptionForm(QWidget):
    """The main options, then a foldable "Advanced" section with the others by group."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.specs = option_specs()
        self.editors: dict[str, QWidget] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        main = self.main = QFormLayout()
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

    def add_rows_around(self, name: str, above: tuple[str, QWidget],
                        below: QWidget) -> None:
        """Put a labelled row ``above`` (label, widget) the main option ``name``'s editor and a
        whole-width row ``below`` it."""
        row, _ = self.main.getWidgetPosition(self.editors[name])
        self.main.insertRow(row, *above)
        self.main.insertRow(row + 2, below)

    def _show_advanced(self, shown: bool) -> None:
        self.advanced.setVisible(shown)
        self.advanced_button.setArrowType(Qt.DownArrow if shown else Qt.RightArrow)

    def options(self) -> Options:
        """The validated options the widgets hold; raises :class:`OptionsError` naming the
        first one that is not acceptable."""
        return Options(**{spec.name: editor_value(self.editors[spec.name], spec)
                          for spec in self.specs})

    def set_options(self, options: Options) -> None:
        for spec in self.specs:
            set_editor_value(self.editors[spec.name], spec,
                             spec.type.to_widget(getattr(options, spec.name)))
