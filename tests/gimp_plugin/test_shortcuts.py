"""Binding the quick procedure to a key in GIMP's shortcutsrc."""

from __future__ import annotations

import pytest

from gimp_plugin.shortcuts import (
    ShortcutError,
    add_shortcut,
    bindings,
    normalise,
    remove_shortcut,
    shortcuts_file,
)

ACTION = "plug-in-portrait-stylization-selected"
USER_FILE = '(file-version 1)\n(action "view-zoom-in" "<Primary>plus")\n(action "tools-paths")\n'


def test_keys_compare_whatever_their_spelling():
    assert normalise("<Primary><Alt>p") == normalise("<Alt><Control>P") == "<primary><alt>p"
    with pytest.raises(ShortcutError):
        normalise("<Primary>")


def test_a_free_key_is_added_to_an_empty_file():
    text = add_shortcut("", ACTION, "<Primary><Alt>p")
    assert text.splitlines()[0] == "(file-version 1)"
    assert bindings(text) == {ACTION: ["<Primary><Alt>p"]}


def test_the_users_other_bindings_are_kept():
    text = add_shortcut(USER_FILE, ACTION, "<Primary><Alt>p")
    assert text.startswith(USER_FILE)
    assert bindings(text)[ACTION] == ["<Primary><Alt>p"]
    assert text.count("(file-version") == 1


def test_binding_again_replaces_the_old_key():
    text = add_shortcut(add_shortcut("", ACTION, "<Primary><Alt>p"), ACTION, "<Primary><Alt>k")
    assert bindings(text)[ACTION] == ["<Primary><Alt>k"]


def test_a_key_bound_by_the_user_elsewhere_is_refused():
    with pytest.raises(ShortcutError, match="view-zoom-in"):
        add_shortcut(USER_FILE, ACTION, "<Control>Plus")


def test_a_gimp_default_key_is_refused():
    with pytest.raises(ShortcutError, match="default"):
        add_shortcut("", ACTION, "<Primary><Alt>o")  # Open as Layers


def test_removing_leaves_the_rest():
    text = add_shortcut(USER_FILE, ACTION, "<Primary><Alt>p")
    assert remove_shortcut(text, ACTION) == USER_FILE


def test_the_file_lives_beside_the_plugins_folder(tmp_path):
    assert shortcuts_file(tmp_path / "3.0" / "plug-ins") == tmp_path / "3.0" / "shortcutsrc"
