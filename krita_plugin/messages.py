"""How the plug-in speaks to the user: one-line Krita message boxes, never a traceback."""

from __future__ import annotations

from PyQt5.QtWidgets import QMessageBox, QWidget

TITLE = "Portrait Stylization"


def first_line(text: str) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[0] if lines else "something went wrong, with no details given"


def show_error(parent: QWidget | None, text: str) -> None:
    """A warning box with the first line of ``text``."""
    QMessageBox.warning(parent, TITLE, first_line(text))
