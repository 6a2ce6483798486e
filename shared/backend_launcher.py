"""Starting the backend from a client that has none of its dependencies (GIMP's Python).

``install.py`` records which interpreter runs the backend (a venv with torch) with
:func:`record_backend`; a client that finds no server starts ``python -m backend serve``
with it as a detached process whose output goes to a log file. Standard library only: the
per-user folders follow the same rules as ``platformdirs`` (the backend's side uses it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "portrait-stylization"
PYTHON_ENV = "PORTRAIT_STYLIZATION_PYTHON"
RECORD_NAME = "backend.json"
LOG_NAME = "backend.log"
# Set by GIMP's bundled Python on some systems; they would make the venv interpreter load
# GIMP's standard library instead of its own.
FOREIGN_PYTHON_VARS = ("PYTHONHOME", "PYTHONPATH")


class LaunchError(RuntimeError):
    """The backend could not be started (no interpreter recorded, or it failed to run)."""


def config_dir() -> Path:
    """The per-user configuration folder (same as ``platformdirs.user_config_dir``)."""
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local",
                    APP_NAME)
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP_NAME
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config", APP_NAME)


def log_dir() -> Path:
    """The per-user log folder (same as ``platformdirs.user_log_dir``)."""
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local",
                    APP_NAME, "Logs")
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Logs" / APP_NAME
    return Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state",
                APP_NAME, "log")


def default_log_path() -> Path:
    """Where a started backend writes its log unless told otherwise."""
    return log_dir() / LOG_NAME


def record_path() -> Path:
    return config_dir() / RECORD_NAME


def record_backend(python: str, project_dir: str | None = None,
                   path: Path | None = None) -> Path:
    """Remember the interpreter (and, for an uninstalled checkout, the project folder) that runs
    the backend. Called by the installer; returns the file written."""
    path = path or record_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"python": python, "project_dir": project_dir}, indent=2) + "\n",
                    encoding="utf-8")
    return path


def recorded_backend(path: Path | None = None) -> dict[str, str | None] | None:
    """The recorded ``{"python", "project_dir"}``, or None when nothing (readable) is recorded.
    The environment variable ``PORTRAIT_STYLIZATION_PYTHON`` takes precedence."""
    if os.environ.get(PYTHON_ENV):
        return {"python": os.environ[PYTHON_ENV], "project_dir": None}
    path = path or record_path()
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("python"), str):
        return None
    project_dir = record.get("project_dir")
    return {"python": record["python"],
            "project_dir": project_dir if isinstance(project_dir, str) else None}


@dataclass
class LaunchedBackend:
    """A backend process started by :func:`start_backend`."""

    process: subprocess.Popen
    log_path: Path
    command: list[str]

    def log_tail(self, lines: int = 5) -> str:
        """The last lines of the log, for error messages."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])


def start_backend(endpoint: str, python: str | None = None, extra_args: Sequence[str] = (),
                  log_path: str | Path | None = None) -> LaunchedBackend:
    """Start ``python -m backend serve --endpoint ENDPOINT *extra_args`` detached from this
    process (its own session, no console), appending its output to ``log_path``.

    ``python`` defaults to the recorded interpreter. Raises :class:`LaunchError` when none is
    recorded or it cannot be run.
    """
    record = recorded_backend()
    project_dir = None
    if python is None:
        if record is None:
            raise LaunchError(f"no backend interpreter is recorded in {record_path()}: run "
                              "install.py, or set PORTRAIT_STYLIZATION_PYTHON to the Python "
                              "that has the backend installed")
        python, project_dir = record["python"], record["project_dir"]
    log_path = Path(log_path) if log_path else default_log_path()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [python, "-m", "backend", "serve", "--endpoint", endpoint, *extra_args]
    env = {k: v for k, v in os.environ.items() if k not in FOREIGN_PYTHON_VARS}
    detach: dict = ({"creationflags": subprocess.DETACHED_PROCESS
                     | subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.CREATE_NO_WINDOW}
                    if sys.platform == "win32" else {"start_new_session": True})
    with open(log_path, "ab") as log:
        log.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} starting: "
                  f"{subprocess.list2cmdline(command)}\n".encode())
        log.flush()
        try:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT, cwd=project_dir or log_path.parent,
                                       env=env, close_fds=True, **detach)
        except OSError as err:
            raise LaunchError(f"cannot run the backend interpreter {python!r}: {err}; run "
                              "install.py again or pass the right interpreter") from err
    return LaunchedBackend(process, log_path, command)
