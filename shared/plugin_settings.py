"""How an editor plug-in reaches (and starts) the backend: one small JSON file beside it.

``portrait-stylization.json`` sits next to the installed plug-in (GIMP's or Krita's);
``install.py`` writes it with the backend's interpreter, endpoint and extra server arguments.
The endpoint can be overridden per editor session with the ``PORTRAIT_STYLIZATION_ENDPOINT``
environment variable. Pure Python.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from shared.protocol import DEFAULT_ENDPOINT, ENDPOINT_ENV

CONFIG_FILE = "portrait-stylization.json"
# An editor shows the result so far every this many iterations unless the user chooses otherwise.
DEFAULT_PREVIEW_INTERVAL = 25


class SettingsError(ValueError):
    """The plug-in's config file is missing or unreadable; the message says how to fix it."""


@dataclass
class PluginSettings:
    """How the plug-in reaches the backend.

    ``python`` is the interpreter that runs ``python -m backend serve`` (None: do not start a
    backend, only connect; a path starting with ``./`` is relative to the plug-in's folder, as
    for the launcher a sandboxed GIMP needs); ``server_args`` are appended to that command;
    ``log_path`` receives the started backend's output."""

    endpoint: str = DEFAULT_ENDPOINT
    python: str | None = None
    server_args: list[str] = field(default_factory=list)
    log_path: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    def save(self, folder: Path) -> Path:
        path = Path(folder) / CONFIG_FILE
        path.write_text(self.to_json(), encoding="utf-8")
        return path

    @classmethod
    def load(cls, folder: Path, environ: Mapping[str, str] = os.environ) -> PluginSettings:
        """Read the config next to the plug-in; the environment's endpoint wins over it."""
        path = Path(folder) / CONFIG_FILE
        try:
            values = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SettingsError(f"{path} is missing: run 'python install.py' from the Portrait "
                                "Stylization folder to install the plug-in") from None
        except (OSError, ValueError) as err:
            raise SettingsError(f"{path} is unreadable ({err}): run 'python install.py' again"
                                ) from None
        known = {k: values[k] for k in ("endpoint", "python", "server_args", "log_path")
                 if k in values}
        settings = cls(**known)
        if not isinstance(settings.server_args, list) or not all(
                isinstance(a, str) for a in settings.server_args):
            raise SettingsError(f"{path}: server_args must be a list of strings")
        if settings.python and settings.python.startswith("./"):
            settings.python = str(Path(folder) / settings.python[2:])
        if environ.get(ENDPOINT_ENV):
            settings.endpoint = environ[ENDPOINT_ENV]
        return settings
