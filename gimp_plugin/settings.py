"""The plug-in's two small files: how to reach (and start) the backend, and the last options.

``portrait-stylization.json`` sits next to the installed plug-in; ``install.py`` writes it with
the backend's interpreter, endpoint and extra server arguments. The endpoint can be overridden
per GIMP session with the ``PORTRAIT_STYLIZATION_ENDPOINT`` environment variable.

The last options used by Filters ▸ Artistic ▸ Portrait Stylization… are kept in a JSON file in
GIMP's own folder, so the quick two-layer procedure (which has no dialog) can use them. Pure
Python.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from shared.options import Options, OptionsError
from shared.protocol import DEFAULT_ENDPOINT, ENDPOINT_ENV

CONFIG_FILE = "portrait-stylization.json"
LAST_OPTIONS_FILE = "portrait-stylization-last-options.json"


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


@dataclass
class LastOptions:
    """The last successful run's choices: the engine options and the preview interval (which
    the quick procedure reuses), and the style layers by item id (valid while GIMP runs), so
    Filters ▸ Repeat and the dialog start from them whatever the run mode was."""

    options: dict[str, Any] = field(default_factory=lambda: Options().to_dict())
    preview_interval: int = 25
    style_layer: int | None = None
    second_style_layer: int | None = None
    second_style_weight: float = 1.0

    def save(self, folder: Path) -> None:
        path = Path(folder) / LAST_OPTIONS_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")
        partial.replace(path)  # never leave a half-written file for the next run

    @classmethod
    def load(cls, folder: Path) -> LastOptions:
        """The saved options, or the defaults when there are none yet.

        Raises :class:`SettingsError` when the file exists but no longer fits the options
        (e.g. after an upgrade), naming the file to delete."""
        path = Path(folder) / LAST_OPTIONS_FILE
        if not path.exists():
            return cls()
        try:
            values = json.loads(path.read_text(encoding="utf-8"))
            options = Options.from_dict(values["options"]).to_dict()
            interval = int(values.get("preview_interval", 25))
            layers = [values.get(key) for key in ("style_layer", "second_style_layer")]
            if not all(layer is None or isinstance(layer, int) for layer in layers):
                raise ValueError(f"style layers must be item ids, got {layers}")
            weight = float(values.get("second_style_weight", 1.0))
        except (OSError, ValueError, KeyError, TypeError, OptionsError) as err:
            raise SettingsError(f"the last options in {path} cannot be used ({err}); run Filters "
                                "▸ Artistic ▸ Portrait Stylization… once, or delete that file"
                                ) from None
        return cls(options, max(interval, 0), layers[0], layers[1], weight)

    @classmethod
    def exists(cls, folder: Path) -> bool:
        return (Path(folder) / LAST_OPTIONS_FILE).exists()

