"""The plug-in's config file and its remembered options."""

from __future__ import annotations

import json

import pytest

from gimp_plugin.arguments import PLUGIN_ARGUMENTS, PREVIEW_INTERVAL
from gimp_plugin.settings import (
    CONFIG_FILE,
    LAST_OPTIONS_FILE,
    LastOptions,
    PluginSettings,
    SettingsError,
)
from shared.options import Options
from shared.plugin_settings import DEFAULT_PREVIEW_INTERVAL


def test_settings_round_trip(tmp_path):
    PluginSettings("tcp://127.0.0.1:6000", "/venv/bin/python", ["--lazy"], "/tmp/b.log"
                   ).save(tmp_path)
    loaded = PluginSettings.load(tmp_path, environ={})
    assert loaded == PluginSettings("tcp://127.0.0.1:6000", "/venv/bin/python", ["--lazy"],
                                    "/tmp/b.log")


def test_the_environment_overrides_the_endpoint(tmp_path):
    PluginSettings("tcp://127.0.0.1:6000").save(tmp_path)
    environ = {"PORTRAIT_STYLIZATION_ENDPOINT": "tcp://127.0.0.1:7000"}
    assert PluginSettings.load(tmp_path, environ=environ).endpoint == "tcp://127.0.0.1:7000"


def test_a_launcher_path_is_relative_to_the_plugin_folder(tmp_path):
    PluginSettings(python="./backend-launcher").save(tmp_path)
    assert PluginSettings.load(tmp_path, environ={}).python == str(tmp_path / "backend-launcher")


def test_a_missing_config_says_to_run_the_installer(tmp_path):
    with pytest.raises(SettingsError, match="install.py"):
        PluginSettings.load(tmp_path, environ={})


def test_a_malformed_config_is_reported(tmp_path):
    (tmp_path / CONFIG_FILE).write_text('{"server_args": "--lazy"}')
    with pytest.raises(SettingsError, match="server_args"):
        PluginSettings.load(tmp_path, environ={})
    (tmp_path / CONFIG_FILE).write_text("{not json")
    with pytest.raises(SettingsError, match="unreadable"):
        PluginSettings.load(tmp_path, environ={})


def test_last_options_default_until_saved(tmp_path):
    assert not LastOptions.exists(tmp_path)
    assert LastOptions.load(tmp_path) == LastOptions()
    chosen = LastOptions(Options(face_weight=2.0), 5, 12, None, 0.5)
    chosen.save(tmp_path / "plug-in-settings")
    assert LastOptions.load(tmp_path / "plug-in-settings") == chosen


def test_unusable_last_options_name_the_file(tmp_path):
    (tmp_path / LAST_OPTIONS_FILE).write_text(json.dumps({"options": {"face_weight": -1}}))
    with pytest.raises(SettingsError, match=LAST_OPTIONS_FILE):
        LastOptions.load(tmp_path)


def test_the_dialog_and_the_remembered_options_start_from_one_preview_interval(tmp_path):
    dialog = next(spec.default for spec in PLUGIN_ARGUMENTS if spec.name == PREVIEW_INTERVAL)
    (tmp_path / LAST_OPTIONS_FILE).write_text(json.dumps({"options": {}}))
    assert dialog == LastOptions().preview_interval == DEFAULT_PREVIEW_INTERVAL
    assert LastOptions.load(tmp_path).preview_interval == DEFAULT_PREVIEW_INTERVAL


def test_remembered_style_layers_belong_to_the_gimp_session_that_chose_them(tmp_path):
    LastOptions(style_layer=12, second_style_layer=14, gimp_session="first").save(tmp_path)
    last = LastOptions.load(tmp_path)
    assert last.style_layers_in("first") == (12, 14)
    assert last.style_layers_in("second") == (None, None)


def test_style_layers_saved_without_a_session_are_never_given_back(tmp_path):
    (tmp_path / LAST_OPTIONS_FILE).write_text(json.dumps(
        {"options": Options().to_dict(), "style_layer": 3}))
    assert LastOptions.load(tmp_path).style_layers_in("any session") == (None, None)
