"""The Krita plug-in's remembered options, without Krita."""

from __future__ import annotations

import pytest

from krita_plugin.settings import LastOptions
from shared.options import Options
from shared.plugin_settings import SettingsError


def test_the_last_options_survive_krita_settings():
    last = LastOptions(Options(end_scale=96), 5)
    again = LastOptions.from_text(last.to_text())
    assert again == last


def test_nothing_stored_means_the_defaults():
    assert LastOptions.from_text("") == LastOptions()


def test_options_that_no_longer_fit_are_reported():
    with pytest.raises(SettingsError, match="stylize once from the docker"):
        LastOptions.from_text('{"options": {"no_such_option": 1}}')
