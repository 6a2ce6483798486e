"""The last run's choices in GIMP terms: recalled into the dialog procedure's config, and saved
after a successful run (:class:`gimp_plugin.settings.LastOptions` is the file's pure part).

Style layers are remembered by item id, and GIMP numbers items anew in every session, so an id
is recalled only in the GIMP session that saved it; that session is named by a token kept in a
global parasite which is not persistent, so it lives exactly as long as GIMP runs.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import gi

gi.require_version("Gimp", "3.0")
from gi.repository import Gimp  # noqa: E402

from gimp_plugin import arguments  # noqa: E402
from gimp_plugin.settings import LastOptions  # noqa: E402
from shared.options import Options  # noqa: E402

SESSION_PARASITE = "portrait-stylization-session"


def settings_folder() -> Path:
    return Path(Gimp.directory()) / "plug-in-settings"


def gimp_session() -> str:
    """The token of this GIMP session (made on first use)."""
    parasite = Gimp.get_parasite(SESSION_PARASITE)
    if parasite is not None:
        return bytes(parasite.get_data()).decode("ascii", "replace")
    token = uuid.uuid4().hex
    Gimp.attach_parasite(Gimp.Parasite.new(SESSION_PARASITE, 0, token.encode("ascii")))
    return token


def _layer(item_id: int | None) -> Gimp.Layer | None:
    if item_id is None or not Gimp.Item.id_is_layer(item_id):
        return None
    return Gimp.Layer.get_by_id(item_id)


def recall_last(config: Gimp.ProcedureConfig) -> None:
    """Set ``config`` to the last successful run (any run mode): GIMP itself remembers only the
    last interactive one, which would make Filters ▸ Repeat after a script use stale values.
    Style layers chosen in another GIMP session are not recalled (their ids now name other
    layers, or none): those fields are left empty, so the dialog shows what OK would use.
    Raises :class:`gimp_plugin.settings.SettingsError` for an unusable file."""
    folder = settings_folder()
    if not LastOptions.exists(folder):
        return
    last = LastOptions.load(folder)
    for name, value in arguments.argument_values(last.options).items():
        config.set_property(name, value)
    config.set_property(arguments.PREVIEW_INTERVAL, last.preview_interval)
    config.set_property(arguments.SECOND_STYLE_WEIGHT, last.second_style_weight)
    style, second = last.style_layers_in(gimp_session())
    config.set_property(arguments.STYLE_LAYER, _layer(style))
    config.set_property(arguments.SECOND_STYLE_LAYER, _layer(second))


def remember(config: Gimp.ProcedureConfig, options: Options) -> None:
    """Save the choices of a successful run of the dialog procedure (``options`` validated)."""
    style = config.get_property(arguments.STYLE_LAYER)
    second = config.get_property(arguments.SECOND_STYLE_LAYER)
    LastOptions(options, config.get_property(arguments.PREVIEW_INTERVAL), style.get_id(),
                None if second is None else second.get_id(),
                config.get_property(arguments.SECOND_STYLE_WEIGHT), gimp_session()
                ).save(settings_folder())
