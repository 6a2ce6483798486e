"""Installing and removing the plug-in (GIMP's Python played by this interpreter, which has
pyzmq, so nothing is downloaded)."""

from __future__ import annotations

import argparse
import json
import os
import py_compile
import sys

import pytest

from gimp_plugin.install import (
    InstallError,
    add_arguments,
    install_plugin,
    main,
    run_from_args,
    uninstall_plugin,
)
from shared.plugin_installer import add_common_arguments
from tests.vendored import import_alone

ENDPOINT = "tcp://127.0.0.1:5999"


@pytest.fixture
def plugins_dir(tmp_path):
    return tmp_path / "GIMP" / "3.0" / "plug-ins"


def install(plugins_dir, shortcut=None, **extra):
    return install_plugin("/venv/bin/python", ENDPOINT, plugins_dir, shortcut,
                          gimp_python=sys.executable, **extra)


def test_the_plugin_lands_in_a_folder_of_its_own_name(plugins_dir):
    lines = install(plugins_dir)
    script = plugins_dir / "portrait-stylization" / "portrait-stylization.py"
    assert script.exists() and os.access(script, os.X_OK)
    assert script.read_text().startswith("#!/usr/bin/env python3")
    py_compile.compile(str(script), doraise=True, cfile=str(plugins_dir / "compiled.pyc"))
    assert any("already has pyzmq" in line for line in lines)


def test_only_the_runtime_modules_are_vendored(plugins_dir):
    install(plugins_dir)
    vendor = plugins_dir / "portrait-stylization" / "vendor"
    assert (vendor / "shared" / "client.py").exists()
    assert (vendor / "shared" / "session.py").exists()
    assert not (vendor / "gimp_plugin" / "install.py").exists()
    # The pure modules import from the vendor folder alone, as in GIMP (no site-packages).
    assert import_alone(vendor, ["gimp_plugin.arguments", "gimp_plugin.pixels",
                                 "gimp_plugin.settings", "shared.layers", "shared.pixels"]
                        ).startswith(str(vendor))


def test_the_config_records_the_backend(plugins_dir):
    install(plugins_dir, server_args=["--allow-random-weights"])
    config = json.loads((plugins_dir / "portrait-stylization" / "portrait-stylization.json")
                        .read_text())
    assert config["endpoint"] == ENDPOINT and config["python"] == "/venv/bin/python"
    assert config["server_args"] == ["--allow-random-weights"]


def test_a_sandboxed_gimp_gets_a_launcher(plugins_dir):
    install(plugins_dir, launch_prefix="flatpak-spawn --host")
    folder = plugins_dir / "portrait-stylization"
    config = json.loads((folder / "portrait-stylization.json").read_text())
    assert config["python"] == "./backend-launcher"
    assert "exec flatpak-spawn --host /venv/bin/python" in (folder / "backend-launcher"
                                                           ).read_text()


def test_reinstalling_replaces_the_old_copy(plugins_dir):
    install(plugins_dir)
    stale = plugins_dir / "portrait-stylization" / "vendor" / "gimp_plugin" / "stale.py"
    stale.write_text("")
    install(plugins_dir)
    assert not stale.exists()


def test_a_foreign_folder_is_not_overwritten(plugins_dir):
    (plugins_dir / "portrait-stylization").mkdir(parents=True)
    (plugins_dir / "portrait-stylization" / "notes.txt").write_text("mine")
    with pytest.raises(InstallError, match="move it away"):
        install(plugins_dir)


def test_a_shortcut_is_added_only_when_free(plugins_dir):
    lines = install(plugins_dir, shortcut="<Primary><Alt>p")
    shortcuts = plugins_dir.parent / "shortcutsrc"
    assert '(action "plug-in-portrait-stylization-selected" "<Primary><Alt>p")' in \
        shortcuts.read_text()
    assert any(line.startswith("Bound <Primary><Alt>p") for line in lines)
    lines = install(plugins_dir, shortcut="<Primary>z")
    assert any(line.startswith("Shortcut not added") for line in lines)


def test_uninstall_removes_what_install_added(plugins_dir):
    install(plugins_dir, shortcut="<Primary><Alt>p")
    settings = plugins_dir.parent / "plug-in-settings"
    settings.mkdir()
    (settings / "portrait-stylization-last-options.json").write_text("{}")
    lines = uninstall_plugin(plugins_dir)
    assert not (plugins_dir / "portrait-stylization").exists()
    assert "portrait-stylization" not in (plugins_dir.parent / "shortcutsrc").read_text()
    assert not (settings / "portrait-stylization-last-options.json").exists()
    assert len(lines) == 3


def test_the_options_parse_for_the_projects_installer(plugins_dir):
    parser = argparse.ArgumentParser()
    add_common_arguments(parser)
    add_arguments(parser)
    args = parser.parse_args(["--gimp-plugins-dir", str(plugins_dir), "--shortcut",
                              "<Primary><Alt>p", "--gimp-python", sys.executable,
                              "--server-arg=--lazy"])
    run_from_args(args, "/venv/bin/python", ENDPOINT)
    assert (plugins_dir / "portrait-stylization" / "portrait-stylization.py").exists()
    args = parser.parse_args(["--gimp-plugins-dir", str(plugins_dir), "--uninstall"])
    run_from_args(args, "/venv/bin/python", ENDPOINT)
    assert not (plugins_dir / "portrait-stylization").exists()


def test_the_module_runs_as_a_command(plugins_dir, capsys):
    assert main(["--gimp-plugins-dir", str(plugins_dir), "--gimp-python", sys.executable]) == 0
    assert "Installed the GIMP plug-in" in capsys.readouterr().out
    assert main(["--gimp-plugins-dir", str(plugins_dir), "--gimp-python",
                 "/nonexistent/python3"]) == 1
    assert "--gimp-python" in capsys.readouterr().err
