"""Number fields that show and read their values as GIMP's dialog does.

Qt's spin boxes show a fixed number of decimals (a step size of 0.02 read ``0.020000``) and
know no words. These show :func:`shared.option_types.field_text`'s text: the places the value
needs, at least its step's (0.015 → ``0.015``, 1.0 with step 0.1 → ``1.0``), and words for
special values (the tile size's -1 → ``auto``, 0 → ``off``); typed text, words included, is
read back with :func:`shared.option_types.field_value`.
"""

from __future__ import annotations

from collections.abc import Mapping

from PyQt5.QtGui import QValidator
from PyQt5.QtWidgets import QDoubleSpinBox, QSpinBox, QWidget

from shared.option_types import field_text, field_value

# What a number may be made of while it is being typed ("-", "1e", "0.").
NUMBER_CHARACTERS = frozenset("0123456789+-.eE")


def _state(text: str, words: Mapping[int, str], low: float, high: float,
           whole: bool) -> QValidator.State:
    """Acceptable: a word, or a number within ``[low, high]`` (a whole one when ``whole``);
    Intermediate: text that typing on may still make acceptable ("", "au", "-", "3" on the
    way to 32); Invalid: anything else, which the field refuses to take."""
    value = field_value(text, dict(words))
    if value is not None and low <= value <= high and (not whole or float(value).is_integer()):
        return QValidator.Acceptable
    typed = text.strip().lower()
    if set(typed) <= NUMBER_CHARACTERS or any(w.lower().startswith(typed)
                                              for w in words.values()):
        return QValidator.Intermediate
    return QValidator.Invalid


class WholeField(QSpinBox):
    """A whole-number field showing ``words`` for some values (``{-1: "auto", 0: "off"}``)
    and reading them typed, in any case."""

    def __init__(self, words: Mapping[int, str] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.words = dict(words or {})

    def textFromValue(self, value: int) -> str:
        return field_text(value, 1, 0, self.words)

    def valueFromText(self, text: str) -> int:
        value = field_value(text, self.words)
        return self.value() if value is None else int(value)

    def validate(self, text: str, position: int) -> tuple[QValidator.State, str, int]:
        return _state(text, self.words, self.minimum(), self.maximum(), True), text, position


class DecimalField(QDoubleSpinBox):
    """A field for a number with decimals: ``step`` is its increment, and it keeps at most
    ``digits`` decimal places (what it holds is the nearest float to the rounded decimal,
    so 0.005 stepped three times holds 0.015 exactly)."""

    def __init__(self, step: float, digits: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(digits)
        self.setSingleStep(step)

    def textFromValue(self, value: float) -> str:
        return field_text(value, self.singleStep(), self.decimals())

    def valueFromText(self, text: str) -> float:
        value = field_value(text)
        return self.value() if value is None else value

    def validate(self, text: str, position: int) -> tuple[QValidator.State, str, int]:
        return _state(text, {}, self.minimum(), self.maximum(), False), text, position
