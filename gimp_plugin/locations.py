"""Where GIMP 3 looks for a user's plug-ins, and which Python it runs them with.

- Linux: ``$XDG_CONFIG_HOME/GIMP/3.0/plug-ins`` (``~/.config``); plug-ins run with the system
  ``python3`` (their ``#!/usr/bin/env python3`` line).
- Flatpak (``org.gimp.GIMP``): ``~/.var/app/org.gimp.GIMP/config/GIMP/3.0/plug-ins``; the
  Flatpak's own Python, run with ``flatpak run --command=python3``. The plug-in is sandboxed, so
  it starts the backend on the host through ``flatpak-spawn --host``.
- Windows: ``%APPDATA%\\GIMP\\3.0\\plug-ins``; GIMP's bundled ``bin\\python.exe``.
- macOS: ``~/Library/Application Support/GIMP/3.0/plug-ins``; GIMP.app's bundled ``python3``.

Pure Python; the platform, home, environment and program lookup are parameters so each case
can be tested anywhere.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

PLUGIN_NAME = "portrait-stylization"
GIMP_VERSION_DIR = "3.0"
FLATPAK_APP = "org.gimp.GIMP"
FLATPAK_LAUNCH_PREFIX = ("flatpak-spawn", "--host")
MACOS_PYTHON = Path("/Applications/GIMP.app/Contents/MacOS/python3")


class LocationError(RuntimeError):
    """No GIMP 3 location could be chosen; the message names the option that fixes it."""


@dataclass(frozen=True)
class GimpInstall:
    """One GIMP 3 to install into: its kind (``linux``, ``flatpak``, ``windows``, ``macos``),
    the user's plug-ins folder, the command that runs GIMP's Python (empty when unknown) and
    the command prefix the sandboxed plug-in needs to start the backend (empty when none)."""

    kind: str
    plugins_dir: Path
    python: tuple[str, ...]
    launch_prefix: tuple[str, ...] = ()

    @property
    def plugin_dir(self) -> Path:
        """This plug-in's own folder; GIMP wants the folder and the script to share a name."""
        return self.plugins_dir / PLUGIN_NAME


def _linux_native(home: Path, environ: Mapping[str, str],
                  which: Callable[[str], str | None]) -> GimpInstall:
    config = Path(environ.get("XDG_CONFIG_HOME") or home / ".config")
    system_python = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else which("python3")
    return GimpInstall("linux", config / "GIMP" / GIMP_VERSION_DIR / "plug-ins",
                       (system_python,) if system_python else ())


def _flatpak(home: Path) -> GimpInstall:
    return GimpInstall("flatpak", home / ".var" / "app" / FLATPAK_APP / "config" / "GIMP"
                       / GIMP_VERSION_DIR / "plug-ins",
                       ("flatpak", "run", "--command=python3", FLATPAK_APP),
                       FLATPAK_LAUNCH_PREFIX)


def _windows(home: Path, environ: Mapping[str, str]) -> GimpInstall:
    appdata = Path(environ.get("APPDATA") or home / "AppData" / "Roaming")
    pythons = [Path(environ[var]) / sub / "GIMP 3" / "bin" / "python.exe"
               for var, sub in (("ProgramFiles", ""), ("LOCALAPPDATA", "Programs"))
               if environ.get(var)]
    found = next((p for p in pythons if p.exists()), None)
    return GimpInstall("windows", appdata / "GIMP" / GIMP_VERSION_DIR / "plug-ins",
                       (str(found),) if found else ())


def _macos(home: Path) -> GimpInstall:
    return GimpInstall("macos", home / "Library" / "Application Support" / "GIMP"
                       / GIMP_VERSION_DIR / "plug-ins",
                       (str(MACOS_PYTHON),) if MACOS_PYTHON.exists() else ())


def default_install(platform: str, home: Path, environ: Mapping[str, str],
                    which: Callable[[str], str | None]) -> GimpInstall:
    """The GIMP 3 this machine most likely uses. On Linux a native ``gimp-3.0`` wins over the
    Flatpak; the Flatpak is chosen when it is the only one present."""
    if platform == "win32":
        return _windows(home, environ)
    if platform == "darwin":
        return _macos(home)
    native = which("gimp-3.0") or which("gimp-console-3.0")
    flatpak_present = (home / ".var" / "app" / FLATPAK_APP).exists()
    if flatpak_present and not native:
        return _flatpak(home)
    return _linux_native(home, environ, which)


def resolve_install(plugins_dir: Path | None, gimp_python: str | None,
                    launch_prefix: str | None, *, platform: str, home: Path,
                    environ: Mapping[str, str],
                    which: Callable[[str], str | None]) -> GimpInstall:
    """The install target after the user's overrides: ``--gimp-plugins-dir`` (a Flatpak path is
    recognised as such), ``--gimp-python`` and ``--backend-launch-prefix`` (shell-quoted
    command lines; an empty prefix means none)."""
    install = default_install(platform, home, environ, which)
    if plugins_dir is not None:
        if f".var/app/{FLATPAK_APP}/" in PurePath(plugins_dir).as_posix() + "/":
            install = _flatpak(home)
        install = GimpInstall(install.kind, Path(plugins_dir), install.python,
                              install.launch_prefix)
    python = _split(gimp_python) if gimp_python else install.python
    # An empty prefix is allowed: it turns off the Flatpak's default.
    prefix = (tuple(shlex.split(launch_prefix)) if launch_prefix is not None
              else install.launch_prefix)
    return GimpInstall(install.kind, install.plugins_dir, python, prefix)


def _split(command: str) -> tuple[str, ...]:
    parts = tuple(shlex.split(command))
    if not parts:
        raise LocationError(f"{command!r} is not a command")
    return parts


def launcher_script(prefix: Sequence[str], python: str) -> str:
    """A POSIX shell script that runs ``python`` (the backend's interpreter) through
    ``prefix``, passing its arguments on (how a sandboxed GIMP starts the backend)."""
    command = " ".join(shlex.quote(part) for part in (*prefix, python))
    return ("#!/bin/sh\n# Written by the Portrait Stylization installer: GIMP's plug-ins run "
            "where the backend's\n# interpreter is not visible, so it is started through "
            f"the command below.\nexec {command} \"$@\"\n")
