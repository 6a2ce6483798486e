"""Install, update and remove the GIMP 3 plug-in.

Copies the plug-in into the user's GIMP plug-ins folder as ``portrait-stylization/
portrait-stylization.py``, its pure-Python helpers and the ``shared`` client into ``vendor/``
beside it, records how to reach and start the backend in ``portrait-stylization.json``, makes
pyzmq importable by GIMP's Python (vendoring a wheel when needed) and, on request, binds a
shortcut to the quick procedure. The project's ``install.py`` calls :func:`install_plugin`,
:func:`uninstall_plugin` and :func:`add_arguments`; ``python -m gimp_plugin.install`` runs the
same steps alone.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from gimp_plugin import locations, shortcuts
from gimp_plugin.settings import LAST_OPTIONS_FILE, PluginSettings
from shared import plugin_installer
from shared.plugin_installer import InstallError

PLUGIN_SOURCE = Path(__file__).resolve().parent
SCRIPT_SOURCE = PLUGIN_SOURCE / "portrait_stylization.py"
# What runs inside GIMP; the installer's own modules stay behind.
RUNTIME_MODULES = ("__init__.py", "arguments.py", "canvas.py", "dialog.py", "pixels.py",
                   "recall.py", "settings.py")
LAUNCHER = "backend-launcher"
QUICK_PROCEDURE = "plug-in-portrait-stylization-selected"


def _target(plugins_dir: Path | None, gimp_python: str | None = None,
            launch_prefix: str | None = None) -> locations.GimpInstall:
    return locations.resolve_install(plugins_dir, gimp_python, launch_prefix,
                                     platform=sys.platform, home=Path.home(),
                                     environ=os.environ, which=shutil.which)


def _copy_plugin(folder: Path) -> None:
    script = folder / f"{locations.PLUGIN_NAME}.py"
    plugin_installer.fresh_folder(folder, script)
    shutil.copy2(SCRIPT_SOURCE, script)
    script.chmod(0o755)
    plugin_installer.vendor_packages(folder / "vendor", PLUGIN_SOURCE, RUNTIME_MODULES)


def _ensure_pyzmq(target: locations.GimpInstall, folder: Path, pip_python: str) -> str:
    if not target.python:
        return ("GIMP's Python was not found, so pyzmq could not be checked: run the installer "
                "again with --gimp-python PATH (GIMP's python executable)")
    return plugin_installer.ensure_pyzmq(target.python, folder / "vendor", pip_python, "GIMP",
                                         "--gimp-python")


def _add_shortcut(plugins_dir: Path, accelerator: str) -> str:
    path = shortcuts.shortcuts_file(plugins_dir)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    try:
        updated = shortcuts.add_shortcut(text, QUICK_PROCEDURE, accelerator)
    except shortcuts.ShortcutError as err:
        return f"Shortcut not added: {err}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(updated, encoding="utf-8")
    return (f"Bound {accelerator} to Portrait Stylization (selected layers) in {path} "
            "(takes effect when GIMP next starts)")


def install_plugin(python: str, endpoint: str, plugins_dir: Path | None,
                   shortcut: str | None, *, gimp_python: str | None = None,
                   launch_prefix: str | None = None, server_args: Sequence[str] = (),
                   log_path: str | None = None) -> list[str]:
    """Install (or update) the plug-in; returns what was done, one line each.

    ``python`` runs the backend (``python -m backend serve``), ``endpoint`` is where the plug-in
    reaches it; ``plugins_dir`` overrides the detected GIMP plug-ins folder; ``shortcut`` (e.g.
    ``<Primary><Alt>p``) is bound to the quick procedure if no other action uses it.
    ``gimp_python`` and ``launch_prefix`` are command lines overriding the detected Python of
    GIMP and the prefix that starts the backend from a sandboxed GIMP; ``server_args`` are
    added to the backend's command line when the plug-in starts it."""
    target = _target(plugins_dir, gimp_python, launch_prefix)
    folder = target.plugin_dir
    _copy_plugin(folder)
    done = [f"Installed the GIMP plug-in in {folder}"]
    backend_python = python
    if target.launch_prefix:
        launcher = folder / LAUNCHER
        launcher.write_text(locations.launcher_script(target.launch_prefix, python),
                            encoding="utf-8")
        launcher.chmod(0o755)
        backend_python = f"./{LAUNCHER}"
        done.append(f"GIMP starts the backend through {' '.join(target.launch_prefix)}")
        if target.kind == "flatpak":
            done.append("For that the Flatpak needs: flatpak override --user "
                        f"--talk-name=org.freedesktop.Flatpak {locations.FLATPAK_APP}")
    PluginSettings(endpoint, backend_python, list(server_args), log_path).save(folder)
    done.append(f"The plug-in reaches the backend at {endpoint} and starts it with {python}")
    done.append(_ensure_pyzmq(target, folder, python))
    if shortcut:
        done.append(_add_shortcut(target.plugins_dir, shortcut))
    return done


def uninstall_plugin(plugins_dir: Path | None) -> list[str]:
    """Remove what :func:`install_plugin` added (and the plug-in's remembered options)."""
    target = _target(plugins_dir)
    folder = target.plugin_dir
    done = [plugin_installer.remove_plugin_folder(folder, folder / f"{locations.PLUGIN_NAME}.py",
                                                  "GIMP")]
    path = shortcuts.shortcuts_file(target.plugins_dir)
    if path.exists():
        text = path.read_text(encoding="utf-8")
        kept = shortcuts.remove_shortcut(text, QUICK_PROCEDURE)
        if kept != text:
            path.write_text(kept, encoding="utf-8")
            done.append(f"Removed the shortcut from {path}")
    return done + plugin_installer.remove_files(
        [target.plugins_dir.parent / "plug-in-settings" / LAST_OPTIONS_FILE])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The installer's GIMP options (shared with the project's ``install.py``; the common
    ones are :func:`shared.plugin_installer.add_common_arguments`)."""
    group = parser.add_argument_group("GIMP plug-in")
    group.add_argument("--gimp-plugins-dir", type=Path, metavar="DIR",
                       help="GIMP 3 plug-ins folder to install into (default: detected; e.g. "
                            "~/.config/GIMP/3.0/plug-ins)")
    group.add_argument("--shortcut", metavar="KEY",
                       help='bind KEY (e.g. "<Primary><Alt>p") to Portrait Stylization '
                            "(selected layers), if no other action uses it")
    group.add_argument("--gimp-python", metavar="COMMAND",
                       help="the command that runs GIMP's Python, to check or vendor pyzmq "
                            "for it (default: detected)")
    group.add_argument("--backend-launch-prefix", metavar="COMMAND",
                       help="command prefix GIMP's plug-in uses to start the backend from a "
                            "sandbox (default: 'flatpak-spawn --host' for the Flatpak, none "
                            "otherwise)")


def run_from_args(args: argparse.Namespace, python: str, endpoint: str) -> list[str]:
    """Install or uninstall as the parsed options say (:func:`add_arguments` and
    :func:`shared.plugin_installer.add_common_arguments`)."""
    if args.uninstall:
        return uninstall_plugin(args.gimp_plugins_dir)
    return install_plugin(python, endpoint, args.gimp_plugins_dir, args.shortcut,
                          gimp_python=args.gimp_python,
                          launch_prefix=args.backend_launch_prefix,
                          server_args=args.server_arg)


def main(argv: Sequence[str] | None = None) -> int:
    return plugin_installer.main(argv, prog="python -m gimp_plugin.install", editor="GIMP 3",
                                 add_arguments=add_arguments, run_from_args=run_from_args,
                                 errors=(InstallError, locations.LocationError))


if __name__ == "__main__":
    sys.exit(main())
