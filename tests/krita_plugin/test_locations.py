"""Where Krita keeps plug-ins and settings on each system, and the files the installer edits."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

from krita_plugin.locations import action_file_text, default_install, enable_plugin

HOME = Path("/home/ada")


def test_linux_follows_the_xdg_folders():
    found = default_install("linux", HOME, {"XDG_DATA_HOME": "/data", "XDG_CONFIG_HOME": "/cfg"})
    assert found.plugin_dir == Path("/data/krita/pykrita/portrait_stylization")
    assert found.desktop_file == Path("/data/krita/pykrita/portrait_stylization.desktop")
    assert found.kritarc == Path("/cfg/kritarc")
    assert found.action_file == Path("/data/krita/actions/portrait_stylization.action")
    plain = default_install("linux", HOME, {})
    assert plain.resource_dir == HOME / ".local/share/krita"
    assert plain.kritarc == HOME / ".config/kritarc"


def test_windows_and_macos_have_their_own_folders():
    windows = default_install("win32", HOME, {"APPDATA": "C:/Users/ada/AppData/Roaming",
                                              "LOCALAPPDATA": "C:/Users/ada/AppData/Local"})
    assert windows.pykrita == Path("C:/Users/ada/AppData/Roaming/krita/pykrita")
    assert windows.kritarc == Path("C:/Users/ada/AppData/Local/kritarc")
    assert windows.python == ()
    mac = default_install("darwin", HOME, {})
    assert mac.pykrita == HOME / "Library/Application Support/krita/pykrita"
    assert mac.kritarc == HOME / "Library/Preferences/kritarc"


def test_enabling_adds_one_line_to_the_python_section_and_keeps_the_rest():
    text = "[General]\nfoo=bar\n\n[python]\nenable_other=true\n\n[Zeta]\nx=1\n"
    enabled = enable_plugin(text, True)
    assert enabled == ("[General]\nfoo=bar\n\n[python]\nenable_other=true\n\n"
                       "enable_portrait_stylization=true\n[Zeta]\nx=1\n")
    assert enable_plugin(enabled, True) == enabled
    assert enable_plugin(enabled, False) == text


def test_enabling_creates_the_section_when_missing():
    assert enable_plugin("", True) == "[python]\nenable_portrait_stylization=true\n"
    assert enable_plugin("[General]\na=1\n", True) == (
        "[General]\na=1\n\n[python]\nenable_portrait_stylization=true\n")


def test_the_action_file_declares_the_shortcut():
    root = ElementTree.fromstring(action_file_text("my_action", "My action", "Ctrl+Alt+P"))
    action = root.find("./Actions/Action")
    assert action.get("name") == "my_action"
    assert action.findtext("shortcut") == "Ctrl+Alt+P"
    assert action.findtext("text") == "My action"
