"""Binding a key to the quick procedure in GIMP's ``shortcutsrc``.

libgimp has no API for shortcuts. GIMP 3 reads the user's ``shortcutsrc`` (next to the
``plug-ins`` folder) at start-up: lines like ``(action "PROCEDURE" "<Primary><Alt>p")``. A key
that is already bound elsewhere would silently move to the new action, so a key is only added
when neither the user's file nor GIMP's default bindings use it. Pure Python.
"""

from __future__ import annotations

import re
from pathlib import Path

SHORTCUTS_FILE = "shortcutsrc"
_ACTION = re.compile(r'^\s*\(action\s+"([^"]+)"((?:\s+"[^"]*")*)\s*\)\s*$')
_STRING = re.compile(r'"([^"]*)"')
_MODIFIER = re.compile(r"<([^>]+)>")
_ALIASES = {"control": "primary", "ctrl": "primary", "ctl": "primary", "mod1": "alt",
            "meta": "alt"}
# GIMP 3.0's default bindings that use modifiers (read from its action tables). Plain keys are
# not listed: a shortcut for a two-layer action should carry a modifier anyway.
GIMP_DEFAULT_BINDINGS = frozenset({
    "<alt><shift>tab", "<alt>return", "<alt>tab", "<primary><alt>f", "<primary><alt>o",
    "<primary><alt>v", "<primary><shift>a", "<primary><shift>b", "<primary><shift>c",
    "<primary><shift>d", "<primary><shift>e", "<primary><shift>f", "<primary><shift>j",
    "<primary><shift>l", "<primary><shift>n", "<primary><shift>o", "<primary><shift>p",
    "<primary><shift>r", "<primary><shift>s", "<primary><shift>t", "<primary><shift>v",
    "<primary><shift>w", "<primary><shift>y", "<primary><shift>z", "<primary>a", "<primary>b",
    "<primary>c", "<primary>d", "<primary>e", "<primary>f", "<primary>g", "<primary>h",
    "<primary>i", "<primary>j", "<primary>l", "<primary>m", "<primary>n", "<primary>o",
    "<primary>q", "<primary>s", "<primary>t", "<primary>v", "<primary>w", "<primary>x",
    "<primary>y", "<primary>z", "<primary>comma", "<primary>greater", "<primary>less",
    "<primary>period", "<primary>semicolon", "<shift>2", "<shift>3", "<shift>4", "<shift>5",
    "<shift>f1", "<shift>g", "<shift>h", "<shift>m", "<shift>q", "<shift>u",
})


class ShortcutError(ValueError):
    """The key cannot be bound (malformed, or already in use); the message says what to do."""


def normalise(accelerator: str) -> str:
    """A comparable form of a GTK accelerator: lower case, modifiers sorted and unaliased."""
    text = accelerator.strip()
    modifiers = {_ALIASES.get(m.lower(), m.lower()) for m in _MODIFIER.findall(text)}
    key = _MODIFIER.sub("", text).strip().lower()
    if not key or " " in key:
        raise ShortcutError(f"{accelerator!r} is not a key like \"<Primary><Alt>p\"")
    ordered = sorted(modifiers, key=lambda m: (_MODIFIER_ORDER.get(m, len(_MODIFIER_ORDER)), m))
    return "".join(f"<{m}>" for m in ordered) + key


_MODIFIER_ORDER = {"primary": 0, "alt": 1, "shift": 2, "super": 3}
_DEFAULTS = frozenset(normalise(binding) for binding in GIMP_DEFAULT_BINDINGS)


def bindings(text: str) -> dict[str, list[str]]:
    """The actions and their keys in a ``shortcutsrc`` text."""
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        match = _ACTION.match(line)
        if match:
            found[match.group(1)] = _STRING.findall(match.group(2))
    return found


def add_shortcut(text: str, action: str, accelerator: str) -> str:
    """``text`` (a ``shortcutsrc``, possibly empty) with ``accelerator`` bound to ``action``.

    Raises :class:`ShortcutError` when another action (in the file, or among GIMP's defaults)
    uses the key."""
    key = normalise(accelerator)
    for other, keys in bindings(text).items():
        if other != action and key in {normalise(k) for k in keys if k}:
            raise ShortcutError(f"{accelerator} is already bound to {other!r} in your GIMP "
                                "shortcuts; choose another key with --shortcut")
    if key in _DEFAULTS:
        raise ShortcutError(f"{accelerator} is one of GIMP's default shortcuts; choose another "
                            "key with --shortcut")
    kept = remove_shortcut(text, action).rstrip("\n")
    lines = kept.splitlines() if kept else []
    if not any(line.strip().startswith("(file-version") for line in lines):
        lines.insert(0, "(file-version 1)")
    lines.append(f'(action "{action}" "{accelerator}")')
    return "\n".join(lines) + "\n"


def remove_shortcut(text: str, action: str) -> str:
    """``text`` without the line that binds ``action``."""
    kept = [line for line in text.splitlines()
            if not ((match := _ACTION.match(line)) and match.group(1) == action)]
    return "\n".join(kept) + ("\n" if kept else "")


def shortcuts_file(plugins_dir: Path) -> Path:
    """GIMP's ``shortcutsrc`` for the profile that owns ``plugins_dir``."""
    return Path(plugins_dir).parent / SHORTCUTS_FILE
