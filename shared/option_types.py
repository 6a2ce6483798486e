"""One codec per kind of option value: how it is checked, carried as JSON, written as text,
offered on a command line and shown in an editor's dialog.

:mod:`shared.options` declares each option with one of these types; the CLI, the protocol
reference, the README and the editors' dialogs ask the type, never the option's name. A new
kind of option (a mask, a preset name) is one new class here (or, for list values, in
:mod:`shared.option_lists`). Pure Python (GIMP imports it).

Editor-neutral widget kinds (:attr:`OptionType.widget`): ``"float"`` and ``"int"`` (a number
field with a range, a step and decimal digits), ``"bool"`` (a toggle), ``"choice"`` (one of
:attr:`OptionType.choices`) and ``"text"`` (a one-line entry holding :meth:`OptionType.format`'s
text).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

MAX_DIGITS = 6  # decimal digits a dialog shows at most


class OptionsError(ValueError):
    """An option is unknown, of the wrong type, or outside its range; one line."""


def _is_finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # JSON integers can be too large for a float
        return False


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _whole(value: Any) -> bool:
    """An int, or a float with no fractional part (JSON clients may send 255.0)."""
    return _is_number(value) and (isinstance(value, int)
                                  or (math.isfinite(value) and value.is_integer()))


def decimals(value: float) -> int:
    """Decimal places of ``value``'s shortest exact text: 0.015 → 3, 1e-06 → 6, 2.0 → 0."""
    mantissa, _, exponent = repr(float(value)).partition("e")
    places = len(mantissa.partition(".")[2].rstrip("0"))
    return max(places - int(exponent or 0), 0)


def number_text(value: float) -> str:
    """``value`` as the shortest text that reads back exactly: 2.0 → "2", 0.015 → "0.015"."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e16 else repr(value)


def field_text(value: float, step: float | None, digits: int,
               words: dict[int, str] | None = None) -> str:
    """The text a dialog's number field shows for ``value``: its word when ``words`` has one
    (e.g. -1 → ``auto``), else the value with as many decimals as it needs, at least the
    step's and at most ``digits``: 0.02 with step 0.01 → ``0.02``, 0.015 → ``0.015``, 1.0 with
    step 0.1 → ``1.0``, 512 with 0 digits → ``512``."""
    if words and float(value).is_integer() and int(value) in words:
        return words[int(value)]
    rounded = round(float(value), digits)
    places = min(max(decimals(rounded), decimals(step) if step else 0), digits)
    return f"{rounded:.{places}f}"


def field_value(text: str, words: dict[int, str] | None = None) -> float | None:
    """The value a number field's typed ``text`` stands for, the inverse of :func:`field_text`:
    the number of a word of ``words`` (any case, spaces around: ``" Auto"`` → -1), else the
    finite number written (``"0.015"`` → 0.015); None when it is neither (``"au"``, ``""``)."""
    typed = text.strip().lower()
    for value, word in (words or {}).items():
        if typed == word.lower():
            return value
    try:
        number = float(typed)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _numbers(text: str, kind: Callable[[str], Any], what: str) -> tuple:
    """Comma-separated numbers; spaces and empty parts are ignored."""
    try:
        return tuple(kind(part) for part in text.replace(" ", "").split(",") if part)
    except ValueError:
        raise OptionsError(f"expected {what}, got {text!r}") from None


class OptionType:
    """The base: a value that JSON carries as it is. Subclasses set the class attributes and
    override what differs. :meth:`coerce` raises :class:`OptionsError` without the option's
    name (:class:`shared.options.OptionSpec` adds it)."""

    tag = ""  # short name used in tests and tables: "float", "int", "int?", ...
    json_type = ""  # the JSON type, as the protocol reference states it
    metavar: str | None = None  # the CLI's placeholder for the value
    widget = "text"  # the editor-neutral widget kind (see the module docstring)
    widget_hint = ""  # appended to the help text in an editor's dialog
    # Words a number field shows (and reads) in place of some of its values, e.g. {-1: "auto"}
    widget_words: dict[int, str] = {}
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()

    def coerce(self, value: Any) -> Any:
        """The canonical Python value for ``value`` (from JSON or Python); raises
        :class:`OptionsError` when it is not acceptable."""
        raise NotImplementedError

    def to_json(self, value: Any) -> Any:
        """The JSON-ready form of a canonical value (tuples become lists)."""
        return value

    def parse(self, text: str) -> Any:
        """The value written as ``text`` (CLI flags, text fields), not yet range-checked:
        :meth:`coerce` does that. Raises :class:`OptionsError` saying the expected form."""
        raise NotImplementedError

    def format(self, value: Any) -> str:
        """``value`` as text that :meth:`parse` reads back."""
        return str(value)

    def to_widget(self, value: Any) -> Any:
        """The value an editor's widget holds for a canonical value."""
        return self.format(value) if self.widget == "text" else value

    def from_widget(self, raw: Any) -> Any:
        """The option value from a widget's value (not yet range-checked). A text widget may
        hand over None for an empty field."""
        return self.parse(raw or "") if self.widget == "text" else raw

    def widget_range(self) -> tuple[float | None, float | None]:
        """The lowest and highest value a number widget may hold (None: unbounded)."""
        return self.minimum, self.maximum

    def step_for(self, default: Any) -> float | None:
        """The increment of a number widget (None for other widgets)."""
        return None

    def digits_for(self, default: Any) -> int:
        """Decimal digits a number widget shows (0 for whole numbers and other widgets)."""
        return 0

    def cli_arguments(self, flag: str, help: str, default: Any) -> dict[str, Any]:
        """``argparse.add_argument`` keyword arguments for ``--flag``; a ``type`` given here
        raises :class:`OptionsError`, which the CLI turns into argparse's error."""
        return {"type": self.parse, "metavar": self.metavar, "choices": self.choices or None,
                "help": f"{help} (default: {self.to_json(default)})"}


class Real(OptionType):
    """A finite float within ``[minimum, maximum]``; ``step`` is a dialog's increment (by
    default the last decimal place of the option's default, at least 0.1)."""

    tag, json_type, metavar, widget = "float", "number", "N", "float"
    kind: Callable[[Any], Any] = float

    def __init__(self, minimum: float, maximum: float, step: float | None = None) -> None:
        self.minimum, self.maximum, self.step = minimum, maximum, step

    def coerce(self, value: Any) -> Any:
        if not _is_number(value):
            raise OptionsError(f"expected a number, got {value!r}")
        if not _is_finite(value):
            raise OptionsError(f"must be finite and within float range, got {value!r:.40}")
        if self.kind is int and not float(value).is_integer():
            raise OptionsError(f"expected a whole number, got {value!r}")
        if not self.minimum <= value <= self.maximum:
            raise OptionsError(f"{value!r} is outside [{self.minimum:g}, {self.maximum:g}]")
        return self.kind(value)

    def parse(self, text: str) -> Any:
        try:
            return self.kind(text.strip())
        except ValueError:
            what = "a whole number" if self.kind is int else "a number"
            raise OptionsError(f"expected {what}, got {text!r}") from None

    def format(self, value: Any) -> str:
        return number_text(value)

    def step_for(self, default: Any) -> float | None:
        return self.step or 10.0 ** -max(decimals(default), 1)

    def digits_for(self, default: Any) -> int:
        bounds = (default, self.minimum, self.maximum, self.step_for(default))
        return min(max(decimals(v) for v in bounds), MAX_DIGITS)


class Whole(Real):
    """A whole number within ``[minimum, maximum]``; whole floats (20.0) become ints."""

    tag, json_type, widget = "int", "integer", "int"
    kind = int

    def __init__(self, minimum: int, maximum: int) -> None:
        super().__init__(minimum, maximum, 1)

    def digits_for(self, default: Any) -> int:
        return 0


class WholeOrZero(Whole):
    """A whole number within ``[least, maximum]``, or 0 for a special meaning (``zero``, e.g.
    "never tile"), said in the dialog's hint. Its range is ``[0, maximum]``; a value between 0
    and ``least`` is refused naming both. ``word``, when given, is text that also means 0
    (``--end-scale full``); JSON carries the number."""

    def __init__(self, least: int, maximum: int, zero: str, word: str | None = None) -> None:
        if least < 2:
            raise ValueError("a whole number with a special 0 needs least >= 2")
        super().__init__(0, maximum)
        self.least, self.zero, self.word = least, zero, word
        self.widget_hint = f" (0: {zero})"
        if word:
            self.metavar = f"N|{word}"

    def coerce(self, value: Any) -> Any:
        try:
            value = super().coerce(value)
        except OptionsError as err:
            if not _is_number(value) or not _is_finite(value) or value < 0:
                raise
            zero = f"{self.word} or 0" if self.word else "0"
            raise OptionsError(f"{err}: use at most {self.maximum}, or {zero} for "
                               f"{self.zero}") from None
        if 0 < value < self.least:
            raise OptionsError(f"{value} is below {self.least}; 0 means {self.zero}")
        return value

    def parse(self, text: str) -> Any:
        if self.word and text.strip().lower() == self.word:
            return 0
        try:
            return super().parse(text)
        except OptionsError:
            if not self.word:
                raise
            raise OptionsError(f"expected a whole number or {self.word}, got {text!r}"
                               ) from None


class AutoWholeOrZero(WholeOrZero):
    """A :class:`WholeOrZero` that may also be left to the backend (None, ``auto``: e.g. "the
    device's choice"). Its text is ``auto`` or empty when not set; its widget holds -1, which
    a dialog's field shows as ``auto`` (and 0 as ``zero_word``: :attr:`widget_words`)."""

    tag, json_type = "int0?", "integer or null"

    def __init__(self, least: int, maximum: int, zero: str, auto: str,
                 zero_word: str = "off") -> None:
        super().__init__(least, maximum, zero)
        self.auto = auto
        # A dialog's field shows the two special values as words; scripts pass the numbers.
        self.widget_words = {-1: "auto", 0: zero_word}
        self.widget_hint = f" (auto: {auto}, -1 in a script; {zero_word}: {zero}, 0)"

    def coerce(self, value: Any) -> Any:
        return None if value is None else super().coerce(value)

    def parse(self, text: str) -> Any:
        return None if text.strip().lower() in ("", "auto") else super().parse(text)

    def format(self, value: Any) -> str:
        return "auto" if value is None else super().format(value)

    def to_widget(self, value: Any) -> Any:
        return -1 if value is None else value

    def from_widget(self, raw: Any) -> Any:
        return None if raw == -1 else raw

    def widget_range(self) -> tuple[float | None, float | None]:
        return -1, self.maximum


class OptionalWhole(Whole):
    """A whole number within ``[minimum, maximum]``, or None for "not set". Its text is empty
    and its widget holds 0 when not set (a value ``minimum`` never allows)."""

    tag, json_type, widget_hint = "int?", "integer or null", " (0: not set)"

    def __init__(self, minimum: int, maximum: int) -> None:
        if minimum < 1:
            raise ValueError("an optional whole number needs minimum >= 1: 0 means not set")
        super().__init__(minimum, maximum)

    def coerce(self, value: Any) -> Any:
        return None if value is None else super().coerce(value)

    def parse(self, text: str) -> Any:
        return None if not text.strip() else super().parse(text)

    def format(self, value: Any) -> str:
        return "" if value is None else super().format(value)

    def to_widget(self, value: Any) -> Any:
        return 0 if value is None else value

    def from_widget(self, raw: Any) -> Any:
        return None if raw == 0 else raw

    def widget_range(self) -> tuple[float | None, float | None]:
        return 0, self.maximum


class Flag(OptionType):
    """True or false. On the command line a flag that turns it on, or off when the flag's name
    starts with ``no-``."""

    tag, json_type, widget = "bool", "boolean", "bool"
    WORDS = {"true": True, "yes": True, "on": True, "1": True,
             "false": False, "no": False, "off": False, "0": False}

    def coerce(self, value: Any) -> Any:
        if not isinstance(value, bool):
            raise OptionsError(f"expected true or false, got {value!r}")
        return value

    def parse(self, text: str) -> Any:
        try:
            return self.WORDS[text.strip().lower()]
        except KeyError:
            raise OptionsError(f"expected true or false, got {text!r}") from None

    def format(self, value: Any) -> str:
        return "true" if value else "false"

    def cli_arguments(self, flag: str, help: str, default: Any) -> dict[str, Any]:
        return {"action": "store_false" if flag.startswith("no-") else "store_true",
                "help": help}


class Choice(OptionType):
    """One of a fixed set of names."""

    tag, json_type, widget = "str", "string", "choice"

    def __init__(self, choices: tuple[str, ...]) -> None:
        self.choices = choices

    def coerce(self, value: Any) -> Any:
        if value not in self.choices:
            raise OptionsError(f"{value!r} is not one of {', '.join(self.choices)}")
        return value

    def parse(self, text: str) -> Any:
        return text.strip()

