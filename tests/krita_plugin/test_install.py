"""Installing the Krita plug-in into a scratch profile, as install.py does."""

from __future__ import annotations

import argparse
import json
import sys

import pytest

from krita_plugin.install import (
    ACTION_ID,
    add_arguments,
    krita_present,
    run_from_args,
)
from shared.plugin_installer import add_common_arguments
from tests.vendored import import_alone

ENDPOINT = "tcp://127.0.0.1:5999"


def arguments(tmp_path, *extra):
    parser = argparse.ArgumentParser()
    add_common_arguments(parser)
    add_arguments(parser)
    return parser.parse_args(["--krita-resource-dir", str(tmp_path / "krita"),
                              "--kritarc", str(tmp_path / "kritarc"),
                              "--krita-python", sys.executable, *extra])


@pytest.fixture
def installed(tmp_path):
    lines = run_from_args(arguments(tmp_path, "--server-arg=--allow-random-weights"),
                          "/venv/bin/python", ENDPOINT)
    return tmp_path, lines


def test_the_plugin_lands_in_pykrita_and_is_enabled(installed):
    tmp_path, lines = installed
    pykrita = tmp_path / "krita" / "pykrita"
    assert (pykrita / "portrait_stylization.desktop").exists()
    assert (pykrita / "portrait_stylization" / "__init__.py").exists()
    assert "enable_portrait_stylization=true" in (tmp_path / "kritarc").read_text()
    assert any("already has pyzmq" in line for line in lines)


def test_the_config_records_the_backend(installed):
    tmp_path, _ = installed
    config = json.loads((tmp_path / "krita" / "pykrita" / "portrait_stylization"
                         / "portrait-stylization.json").read_text())
    assert config["endpoint"] == ENDPOINT and config["python"] == "/venv/bin/python"
    assert config["server_args"] == ["--allow-random-weights"]


def test_the_action_gets_its_default_shortcut(installed):
    tmp_path, _ = installed
    text = (tmp_path / "krita" / "actions" / "portrait_stylization.action").read_text()
    assert f'<Action name="{ACTION_ID}">' in text and "<shortcut>Ctrl+Alt+P</shortcut>" in text


def test_only_the_runtime_modules_are_vendored_and_the_pure_ones_import_alone(installed):
    tmp_path, _ = installed
    vendor = tmp_path / "krita" / "pykrita" / "portrait_stylization" / "vendor"
    assert (vendor / "shared" / "client.py").exists()
    assert (vendor / "krita_plugin" / "docker.py").exists()
    assert not (vendor / "krita_plugin" / "install.py").exists()
    assert import_alone(vendor, ["krita_plugin.pixels", "krita_plugin.settings"]
                        ).startswith(str(vendor))


def test_uninstall_removes_everything_and_switches_it_off(installed):
    tmp_path, _ = installed
    args = arguments(tmp_path, "--uninstall")
    lines = run_from_args(args, "", ENDPOINT)
    pykrita = tmp_path / "krita" / "pykrita"
    assert not (pykrita / "portrait_stylization").exists()
    assert not (pykrita / "portrait_stylization.desktop").exists()
    assert not (tmp_path / "krita" / "actions" / "portrait_stylization.action").exists()
    assert "portrait_stylization" not in (tmp_path / "kritarc").read_text()
    assert any("Switched the plug-in off" in line for line in lines)


def test_a_krita_is_present_when_its_folder_is_given(tmp_path):
    assert krita_present(arguments(tmp_path))
