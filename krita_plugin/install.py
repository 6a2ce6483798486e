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

from krita_plugin import locations
from shared import plugin_installer
from shared.plugin_settings import PluginSettings

SOURCE = Path(__file__).resolve().parent
ENTRY = SOURCE / "portrait_stylization.py"
DESKTOP = SOURCE / "portrait_stylization.desktop"
RUNTIME_MODULES = ("__init__.py", "canvas.py", "docker.py", "extension.py", "messages.py",
                   "number_fields.py", "option_form.py", "pixels.py", "runner.py", "settings.py",
                   "size_words.py", "stylization.py")
# Kept in step with krita_plugin.extension (not imported here: it needs Krita).
ACTION_ID = "portrait_stylization_selected"
ACTION_TEXT = "Portrait Stylization (selected layers)"
DEFAULT_SHORTCUT = "Ctrl+Alt+P"  # unused by Krita 5's default shortcuts


def _target(args: argparse.Namespace) -> locations.KritaInstall:
    python = tuple(shlex.split(args.krita_python)) if args.krita_python else None
    return locations.resolve_install(args.krita_resource_dir, args.kritarc, python,
                                     platform=sys.platform, home=Path.home(),
                                     environ=os.environ)


def _copy_plugin(target: locations.KritaInstall) -> None:
    folder = target.plugin_dir
    plugin_installer.fresh_folder(folder, folder / "vendor" / "krita_plugin")
    shutil.copy2(ENTRY, folder / "__init__.py")
    shutil.copy2(DESKTOP, target.desktop_file)
    plugin_installer.vendor_packages(folder / "vendor", SOURCE, RUNTIME_MODULES)


def _ensure_pyzmq(target: locations.KritaInstall, pip_python: str) -> str:
    if not target.python:
        return ("Krita's Python is not known here, so pyzmq was not checked: if Krita reports "
                "that zmq is missing, run the installer again with --krita-python COMMAND "
                "(the python executable Krita bundles)")
    return plugin_installer.ensure_pyzmq(target.python, target.plugin_dir / "vendor",
                                         pip_python, "Krita", "--krita-python")


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
    done = [plugin_installer.remove_plugin_folder(
        target.plugin_dir, target.plugin_dir / "vendor" / "krita_plugin", "Krita")]
    done += plugin_installer.remove_files([target.desktop_file, target.action_file])
    if target.kritarc.exists():
        _write_kritarc(target.kritarc, False)
        done.append(f"Switched the plug-in off in {target.kritarc}")
    return done


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The installer's Krita options (shared with the project's ``install.py``; the common
    ones are :func:`shared.plugin_installer.add_common_arguments`)."""
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
    return plugin_installer.main(argv, prog="python -m krita_plugin.install", editor="Krita",
                                 add_arguments=add_arguments, run_from_args=run_from_args)


if __name__ == "__main__":
    sys.exit(main())
