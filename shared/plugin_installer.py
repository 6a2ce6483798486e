"""The steps every editor plug-in's installer takes: the same for GIMP and Krita.

A plug-in installer (``gimp_plugin.install``, ``krita_plugin.install``) copies the plug-in's
runtime modules and this ``shared`` package into a ``vendor/`` folder of its own (so the
plug-in runs standalone, without the backend's environment), makes pyzmq importable by the
editor's Python, and records how to reach the backend. Where the files go and what else is
written (shortcuts, ``.desktop`` files, ``kritarc``) is the editor's and stays in its installer.
Runs in the backend's Python, not the editor's; standard library only.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from shared import vendoring
from shared.protocol import DEFAULT_ENDPOINT

SHARED_SOURCE = Path(__file__).resolve().parent
RunFromArgs = Callable[[argparse.Namespace, str, str], list[str]]


class InstallError(RuntimeError):
    """The plug-in could not be installed; the message says what to do."""


def copy_modules(source: Path, destination: Path, names: Sequence[str] | None = None) -> None:
    """Copy the ``*.py`` files of ``source`` (only ``names``, when given) into
    ``destination``, creating it."""
    destination.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.glob("*.py")):
        if names is None or path.name in names:
            shutil.copy2(path, destination / path.name)


def fresh_folder(folder: Path, marker: Path) -> None:
    """Make ``folder`` an empty folder for a new copy of the plug-in, removing an older copy
    (one holding ``marker``). Raises :class:`InstallError` for a folder that holds something
    else."""
    if folder.exists():
        if not marker.exists() and any(folder.iterdir()):
            raise InstallError(f"{folder} exists and is not a Portrait Stylization plug-in: "
                               "move it away first")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)


def vendor_packages(vendor_dir: Path, plugin_source: Path, runtime_modules: Sequence[str]) -> None:
    """Copy ``shared`` whole and the plug-in package's ``runtime_modules`` (what runs inside
    the editor; the installer's own modules stay behind) into ``vendor_dir``."""
    copy_modules(SHARED_SOURCE, vendor_dir / "shared")
    copy_modules(plugin_source, vendor_dir / plugin_source.name, runtime_modules)


def ensure_pyzmq(editor_python: Sequence[str], vendor_dir: Path, pip_python: str,
                 editor: str, option: str) -> str:
    """Check that ``editor_python`` (the command running ``editor``'s Python) imports zmq; if
    not, unpack the matching pyzmq wheel into ``vendor_dir``. Returns what was done; raises
    :class:`InstallError` naming the installer ``option`` that passes the right Python."""
    try:
        found = vendoring.probe(editor_python, editor, option)
        if found.zmq:
            return f"{editor}'s Python {found.version} already has pyzmq {found.zmq}"
        wheel = vendoring.vendor_pyzmq(found, vendor_dir, pip_python)
    except vendoring.VendoringError as err:
        raise InstallError(f"pyzmq for {editor}'s Python: {err}") from None
    return f"{editor}'s Python {found.version} lacked pyzmq: unpacked {wheel} into {vendor_dir}"


def remove_plugin_folder(folder: Path, marker: Path, editor: str) -> str:
    """Remove ``folder`` if it holds an installed plug-in (``marker``); says what was done."""
    if marker.exists():
        shutil.rmtree(folder)
        return f"Removed {folder}"
    return f"No {editor} plug-in found in {folder}"


def remove_files(paths: Sequence[Path]) -> list[str]:
    """Delete those of ``paths`` that exist; one line for each deleted."""
    done = []
    for path in paths:
        if path.exists():
            path.unlink()
            done.append(f"Removed {path}")
    return done


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every plug-in installer (and the project's ``install.py``) takes."""
    parser.add_argument("--uninstall", action="store_true",
                        help="remove the plug-in (and its shortcut) instead of installing")
    parser.add_argument("--server-arg", action="append", default=[], metavar="ARG",
                        help="extra argument for the backend the plug-in starts (repeatable; "
                             "write --server-arg=--flag)")


def main(argv: Sequence[str] | None, *, prog: str, editor: str,
         add_arguments: Callable[[argparse.ArgumentParser], None], run_from_args: RunFromArgs,
         errors: tuple[type[Exception], ...] = (InstallError,)) -> int:
    """``python -m <plug-in>.install``: parse ``argv`` (the common options and the editor's
    ``add_arguments``), install or uninstall with ``run_from_args``, print what was done.
    Returns the exit status: 1 (with the message on stderr) for one of ``errors``."""
    parser = argparse.ArgumentParser(prog=prog,
                                     description=f"Install the Portrait Stylization {editor} "
                                                 "plug-in (the backend must be installed in "
                                                 "this Python).")
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter that runs the backend (default: this one)")
    parser.add_argument("--endpoint", default=DEFAULT_ENDPOINT,
                        help=f"where the plug-in reaches the backend (default {DEFAULT_ENDPOINT})")
    add_common_arguments(parser)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        lines = run_from_args(args, args.python, args.endpoint)
    except errors as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0
