"""Where Krita 5 keeps a user's Python plug-ins and settings, and which Python runs them.

- Linux: resources in ``$XDG_DATA_HOME/krita`` (``~/.local/share/krita``), settings in
  ``$XDG_CONFIG_HOME/kritarc``; a distribution's Krita runs plug-ins with the system
  ``python3``. (The AppImage bundles its own Python: pass ``--krita-python``.)
- Windows: resources in ``%APPDATA%\\krita``, settings in ``%LOCALAPPDATA%\\kritarc``; Krita's
  bundled Python.
- macOS: resources in ``~/Library/Application Support/krita``, settings in
  ``~/Library/Preferences/kritarc``; Krita.app's bundled Python.

Plug-ins live in ``pykrita/`` under the resources folder, action files (default shortcuts) in
``actions/``. Pure Python; the platform, home and environment are parameters so each case can
be tested anywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PLUGIN_NAME = "portrait_stylization"  # Krita imports the plug-in as a Python package
LINUX_PYTHON = Path("/usr/bin/python3")


@dataclass(frozen=True)
class KritaInstall:
    """One Krita profile to install into: its resources folder, its ``kritarc`` and the
    command that runs Krita's Python (empty when unknown)."""

    kind: str
    resource_dir: Path
    kritarc: Path
    python: tuple[str, ...] = ()

    @property
    def pykrita(self) -> Path:
        return self.resource_dir / "pykrita"

    @property
    def plugin_dir(self) -> Path:
        return self.pykrita / PLUGIN_NAME

    @property
    def desktop_file(self) -> Path:
        return self.pykrita / f"{PLUGIN_NAME}.desktop"

    @property
    def action_file(self) -> Path:
        return self.resource_dir / "actions" / f"{PLUGIN_NAME}.action"


def default_install(platform: str, home: Path, environ: Mapping[str, str]) -> KritaInstall:
    """The Krita profile of this user on ``platform`` (``sys.platform``)."""
    if platform == "win32":
        return KritaInstall("windows",
                            Path(environ.get("APPDATA") or home / "AppData" / "Roaming") / "krita",
                            Path(environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
                            / "kritarc")
    if platform == "darwin":
        return KritaInstall("macos", home / "Library" / "Application Support" / "krita",
                            home / "Library" / "Preferences" / "kritarc")
    data = Path(environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    config = Path(environ.get("XDG_CONFIG_HOME") or home / ".config")
    python = (str(LINUX_PYTHON),) if LINUX_PYTHON.exists() else ()
    return KritaInstall("linux", data / "krita", config / "kritarc", python)


def resolve_install(resource_dir: Path | None, kritarc: Path | None,
                    python: tuple[str, ...] | None, *, platform: str, home: Path,
                    environ: Mapping[str, str]) -> KritaInstall:
    """The target after the user's overrides (``--krita-resource-dir``, ``--kritarc``,
    ``--krita-python``)."""
    found = default_install(platform, home, environ)
    return KritaInstall(found.kind, Path(resource_dir or found.resource_dir),
                        Path(kritarc or found.kritarc),
                        found.python if python is None else python)


def enable_plugin(kritarc_text: str, enabled: bool) -> str:
    """``kritarc`` text with the plug-in switched on (or its switch removed) in the
    ``[python]`` section, every other line kept as it was."""
    key = f"enable_{PLUGIN_NAME}"
    lines = kritarc_text.splitlines()
    kept, section, inserted = [], None, False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            if section == "python" and enabled and not inserted:
                kept.append(f"{key}=true")
                inserted = True
            section = stripped[1:-1]
        elif section == "python" and stripped.split("=", 1)[0].strip() == key:
            continue
        kept.append(line)
    if enabled and not inserted:
        if section != "python":
            if kept and kept[-1].strip():
                kept.append("")
            kept.append("[python]")
        kept.append(f"{key}=true")
    return "\n".join(kept) + "\n"


def action_file_text(action_id: str, text: str, shortcut: str) -> str:
    """A Krita ``.action`` file declaring ``action_id`` with a default ``shortcut`` (Qt's
    portable text, e.g. ``Ctrl+Alt+P``; empty for none). Users change it in Settings ▸
    Configure Krita ▸ Keyboard Shortcuts."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ActionCollection version="2" name="Scripts">
  <Actions category="Scripts">
    <text>Portrait Stylization</text>
    <Action name="{action_id}">
      <icon></icon>
      <text>{text}</text>
      <whatsThis></whatsThis>
      <toolTip>Stylize the lower of two selected layers after the upper one</toolTip>
      <iconText></iconText>
      <activationFlags>10000</activationFlags>
      <activationConditions>0</activationConditions>
      <shortcut>{shortcut}</shortcut>
      <isCheckable>false</isCheckable>
      <statusTip></statusTip>
    </Action>
  </Actions>
</ActionCollection>
"""
