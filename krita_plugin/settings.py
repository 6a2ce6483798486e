"""Where the Krita plug-in keeps its two kinds of settings.

How to reach and start the backend is the ``portrait-stylization.json`` that ``install.py``
writes beside the installed plug-in (:class:`shared.plugin_settings.PluginSettings`, as for
GIMP). The last options the docker used, which the two-layer action reuses, go into Krita's own
settings (``kritarc``), so they follow the Krita profile.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from shared.options import Options, OptionsError
from shared.plugin_settings import DEFAULT_PREVIEW_INTERVAL, PluginSettings, SettingsError

SETTINGS_GROUP = "PortraitStylization"
LAST_OPTIONS_KEY = "lastOptions"

_plugin_folder: Path | None = None


def set_plugin_folder(folder: Path) -> None:
    """Called once by the installed plug-in's entry module with its own folder."""
    global _plugin_folder
    _plugin_folder = Path(folder)


def load_settings() -> PluginSettings:
    if _plugin_folder is None:
        raise SettingsError("the Portrait Stylization plug-in was loaded without its folder: "
                            "reinstall it with 'python install.py'")
    return PluginSettings.load(_plugin_folder)


@dataclass
class LastOptions:
    """The options of the last successful stylization and its preview interval."""

    options: Options = field(default_factory=Options)
    preview_interval: int = DEFAULT_PREVIEW_INTERVAL

    def to_text(self) -> str:
        return json.dumps({"options": self.options.to_dict(),
                           "preview_interval": self.preview_interval})

    @classmethod
    def from_text(cls, text: str) -> LastOptions:
        """Read :meth:`to_text`'s form; empty text gives the defaults. Raises
        :class:`SettingsError` when the stored options no longer fit (e.g. after an upgrade)."""
        if not text:
            return cls()
        try:
            values = json.loads(text)
            options = Options.from_dict(values["options"])
            interval = max(int(values.get("preview_interval", DEFAULT_PREVIEW_INTERVAL)), 0)
        except (ValueError, KeyError, TypeError, OptionsError) as err:
            raise SettingsError(f"the last Portrait Stylization options cannot be used ({err}); "
                                "stylize once from the docker to replace them") from None
        return cls(options, interval)


def load_last() -> LastOptions:
    from krita import Krita

    return LastOptions.from_text(Krita.instance().readSetting(SETTINGS_GROUP, LAST_OPTIONS_KEY,
                                                              ""))


def has_last() -> bool:
    """Whether a stylization from the docker has saved its options (so a size was chosen)."""
    from krita import Krita

    return bool(Krita.instance().readSetting(SETTINGS_GROUP, LAST_OPTIONS_KEY, ""))


def save_last(last: LastOptions) -> None:
    from krita import Krita

    Krita.instance().writeSetting(SETTINGS_GROUP, LAST_OPTIONS_KEY, last.to_text())
