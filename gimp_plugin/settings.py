"""The GIMP plug-in's last options; how to reach the backend is :mod:`shared.plugin_settings`.

The last options used by Filters ▸ Artistic ▸ Portrait Stylization… are kept in a JSON file in
GIMP's own folder, so the quick two-layer procedure (which has no dialog) can use them. Pure
Python.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from shared.options import Options, OptionsError
from shared.plugin_settings import (
    CONFIG_FILE,
    DEFAULT_PREVIEW_INTERVAL,
    PluginSettings,
    SettingsError,
)

__all__ = ["CONFIG_FILE", "LAST_OPTIONS_FILE", "LastOptions", "PluginSettings", "SettingsError"]

LAST_OPTIONS_FILE = "portrait-stylization-last-options.json"


@dataclass
class LastOptions:
    """The last successful run's choices: the engine options and the preview interval (which
    the quick procedure reuses), and the style layers by item id, so Filters ▸ Repeat and the
    dialog start from them whatever the run mode was.

    Item ids are only valid within one GIMP session (a new session numbers its layers anew), so
    they are kept with ``gimp_session``, a token of the session that chose them:
    :meth:`style_layers_in` gives them back only to that same session."""

    options: Options = field(default_factory=Options)
    preview_interval: int = DEFAULT_PREVIEW_INTERVAL
    style_layer: int | None = None
    second_style_layer: int | None = None
    second_style_weight: float = 1.0
    gimp_session: str | None = None

    def style_layers_in(self, gimp_session: str) -> tuple[int | None, int | None]:
        """The remembered style layers' ids if they were chosen in ``gimp_session``, else
        ``(None, None)``: an id from another session would name some other layer, or none."""
        if gimp_session != self.gimp_session:
            return None, None
        return self.style_layer, self.second_style_layer

    def save(self, folder: Path) -> None:
        path = Path(folder) / LAST_OPTIONS_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        values = {**asdict(self), "options": self.options.to_dict()}
        partial.write_text(json.dumps(values, indent=2) + "\n", encoding="utf-8")
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
            options = Options.from_dict(values["options"])
            interval = int(values.get("preview_interval", DEFAULT_PREVIEW_INTERVAL))
            layers = [values.get(key) for key in ("style_layer", "second_style_layer")]
            if not all(layer is None or isinstance(layer, int) for layer in layers):
                raise ValueError(f"style layers must be item ids, got {layers}")
            weight = float(values.get("second_style_weight", 1.0))
            session = values.get("gimp_session")
            if session is not None and not isinstance(session, str):
                raise ValueError(f"gimp_session must be text, got {session!r}")
        except (OSError, ValueError, KeyError, TypeError, OptionsError) as err:
            raise SettingsError(f"the last options in {path} cannot be used ({err}); run Filters "
                                "▸ Artistic ▸ Portrait Stylization… once, or delete that file"
                                ) from None
        return cls(options, max(interval, 0), layers[0], layers[1], weight, session)

    @classmethod
    def exists(cls, folder: Path) -> bool:
        return (Path(folder) / LAST_OPTIONS_FILE).exists()

