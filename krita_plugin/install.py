"""Install, update and remove the Krita plug-in.

Copies the entry module into Krita's ``pykrita/portrait_stylization/__init__.py`` with the
``.desktop`` file beside the folder, the plug-in's runtime modules and the ``shared`` client into
``vendor/``, records how to reach and start the backend in ``portrait-stylization.json``, writes
the two-layer action's default shortcut as an ``.action`` file, switches the plug-in on in
``kritarc`` and makes pyzmq importable by Krita's Python (vendoring a wheel when needed). The
project's ``install.py`` calls :func:`run_from_args` and :func:`add_arguments`;
``python -m krita_plugin.install`` runs the same steps alone.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

import shared
from krita_plugin import locations
from shared import vendoring
from shared.plugin_settings import PluginSettings
from shared.protocol import DEFAULT_ENDPOINT

SOURCE = Path(__file__).resolve().parent
ENTRY = SOURCE / "portrait_stylization.py"
DESKTOP = SOURCE / "portrait_stylization.desktop"
RUNTIME_MODULES = ("__init__.py", "canvas.py", "docker.py", "extension.py", "messages.py",
                   "option_form.py", "pixels.py", "runner.py", "settings.py", "stylization.py")
# Kept in step with krita_plugin.extension (not imported here: it needs Krita).
ACTION_ID = "portrait_stylization_selected"
ACTION_TEXT = "Portrait Stylization (selected layers)"
DEFAULT_SHORTCUT = "Ctrl+Alt+P"  # unused by Krita 5's default shortcuts


class InstallError(RuntimeError):
    """The plug-in could not be installed; the message says what to do."""


def _target(args: argparse.Namespace) -> locations.KritaInstall:
    python = tuple(shlex.split(args.krita_python)) if args.krita_python else None
    return locations.resolve_install(args.krita_resource_dir, args.kritarc, python,
                                     platform=sys.platform, home=Path.home(),
                                     environ=os.environ)


def _copy_modules(source: Path, destination: Path, names: Sequence[str] | None = None) -> None:
    destination.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.glob("*.py")):
        if names is None or path.name in names:
            shutil.copy2(path, destination / path.name)


def _copy_plugin(target: locations.KritaInstall) -> None:
    folder = target.plugin_dir
    if folder.exists():
        if not (folder / "vendor" / "krita_plugin").exists() and any(folder.iterdir()):
            raise InstallError(f"{folder} exists and is not a Portrait Stylization plug-in: "
                               "move it away first")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    shutil.copy2(ENTRY, folder / "__init__.py")
    shutil.copy2(DESKTOP, target.desktop_file)
    _copy_modules(Path(shared.__file__).resolve().parent, folder / "vendor" / "shared")
    _copy_modules(SOURCE, folder / "vendor" / "krita_plugin", RUNTIME_MODULES)


def _ensure_pyzmq(target: locations.KritaInstall, pip_python: str) -> str:
    if not target.python:
        return ("Krita's Python is not known here, so pyzmq was not checked: if Krita reports "
                "that zmq is missing, run the installer again with --krita-python COMMAND "
                "(the python executable Krita bundles)")
    try:
        found = vendoring.probe(target.python, "Krita", "--krita-python")
        if found.zmq:
            return f"Krita's Python {found.version} already has pyzmq {found.zmq}"
        wheel = vendoring.vendor_pyzmq(found, target.plugin_dir / "vendor", pip_python)
    except vendoring.VendoringError as err:
        raise InstallError(f"pyzmq for Krita's Python: {err}") from None
    return (f"Krita's Python {found.version} lacked pyzmq: unpacked {wheel} into "
            f"{target.plugin_dir / 'vendor'}")


def _write_kritarc(path: Path, enabled: bool) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if not enabled and not text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(locations.enable_plugin(text, enabled), encoding="utf-8")


def install_plugin(args: argparse.Namespace, python: str, endpoint: str) -> list[str]:
    """Install (or update) the plug-in; returns what was done, one line each. ``python`` runs
    the backend, ``endpoint`` is where the plug-in reaches it."""
    target = _target(args)
    _copy_plugin(target)
    done = [f"Installed the Krita plug-in in {target.plugin_dir}"]
    PluginSettings(endpoint, python, list(args.server_arg)).save(target.plugin_dir)
    done.append(f"The Krita plug-in reaches the backend at {endpoint} and starts it with "
                f"{python}")
    target.action_file.parent.mkdir(parents=True, exist_ok=True)
    target.action_file.write_text(locations.action_file_text(ACTION_ID, ACTION_TEXT,
                                                             args.krita_shortcut),
                                  encoding="utf-8")
    if args.krita_shortcut:
        done.append(f"{ACTION_TEXT} has the shortcut {args.krita_shortcut} (change it in "
                    "Settings ▸ Configure Krita ▸ Keyboard Shortcuts)")
    _write_kritarc(target.kritarc, True)
    done.append(f"Enabled the plug-in in {target.kritarc}; restart Krita and open Settings ▸ "
                "Dockers ▸ Portrait Stylization")
    done.append(_ensure_pyzmq(target, python))
    return done


def uninstall_plugin(args: argparse.Namespace) -> list[str]:
    """Remove what :func:`install_plugin` added."""
    target = _target(args)
    done = []
    if (target.plugin_dir / "vendor" / "krita_plugin").exists():
        shutil.rmtree(target.plugin_dir)
        done.append(f"Removed {target.plugin_dir}")
    else:
        done.append(f"No Krita plug-in found in {target.plugin_dir}")
    for path in (target.desktop_file, target.action_file):
        if path.exists():
            path.unlink()
            done.append(f"Removed {path}")
    if target.kritarc.exists():
        _write_kritarc(target.kritarc, False)
        done.append(f"Switched the plug-in off in {target.kritarc}")
    return done


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The installer's Krita options (shared with the project's ``install.py``)."""
    group = parser.add_argument_group("Krita plug-in")
    group.add_argument("--krita-resource-dir", type=Path, metavar="DIR",
                       help="Krita's resource folder to install into (default: detected; e.g. "
                            "~/.local/share/krita)")
    group.add_argument("--kritarc", type=Path, metavar="FILE",
                       help="Krita's settings file in which to enable the plug-in (default: "
                            "detected; e.g. ~/.config/kritarc)")
    group.add_argument("--krita-python", metavar="COMMAND",
                       help="the command that runs Krita's Python, to check or vendor pyzmq "
                            "for it (default: the system python3 on Linux)")
    group.add_argument("--krita-shortcut", default=DEFAULT_SHORTCUT, metavar="KEY",
                       help="default shortcut of Portrait Stylization (selected layers) "
                            f"(default: {DEFAULT_SHORTCUT}; \"\" for none)")


def krita_present(args: argparse.Namespace) -> bool:
    """Whether this user has a Krita to install into: ``krita`` on the PATH, its resource
    folder, or a folder given with ``--krita-resource-dir``."""
    return bool(args.krita_resource_dir or shutil.which("krita")
                or _target(args).resource_dir.exists())


def run_from_args(args: argparse.Namespace, python: str, endpoint: str) -> list[str]:
    """Install or uninstall as the parsed options say."""
    if args.uninstall:
        return uninstall_plugin(args)
    return install_plugin(args, python, endpoint)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m krita_plugin.install",
                                     description="Install the Portrait Stylization Krita "
                                                 "plug-in (the backend must be installed in "
                                                 "this Python).")
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter that runs the backend (default: this one)")
    parser.add_argument("--endpoint", default=DEFAULT_ENDPOINT,
                        help=f"where the plug-in reaches the backend (default {DEFAULT_ENDPOINT})")
    parser.add_argument("--uninstall", action="store_true", help="remove the plug-in")
    parser.add_argument("--server-arg", action="append", default=[], metavar="ARG",
                        help="extra argument for the backend the plug-in starts (repeatable; "
                             "write --server-arg=--flag)")
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        lines = run_from_args(args, args.python, args.endpoint)
    except InstallError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
