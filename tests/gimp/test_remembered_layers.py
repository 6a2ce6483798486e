"""Remembered style layers across two real GIMP 3 sessions on one profile.

GIMP numbers layers anew in every session, so the id of the style layer saved by the first
session names another layer in the second. The second session must not use it: the dialog opens
with an empty Style layer field (and OK greyed out), and Filters ▸ Repeat says to choose one.
Within one session the remembered layer is shown and used."""

from __future__ import annotations

import pytest

from tests.gimp.scenarios import DIALOG, DIALOG_PROBE, TINY, arguments_text

pytestmark = pytest.mark.gimp

def session(gimp, photos, display, made_in_order: tuple[str, ...], stylize: bool):
    """One GIMP session: an image with the layers "Starry Night" (the style, on top),
    "Portrait" (the content) and "Sketch", made in the given order; optionally a stylization
    that remembers the style layer; then what the recalled config shows in the dialog, and
    what Filters ▸ Repeat does."""
    run_first = f"""
    done = run_procedure({DIALOG!r}, image, [content], style_layer=style,
                         {arguments_text(TINY)})
    REPORT["stylized"] = {{"status": done["status"], "error": done["error"],
                          "style_id": style.get_id()}}
    image.remove_layer(done["layer"])""" if stylize else ""
    return gimp.run(DIALOG_PROBE.read_text() + f"""
def body():
    arguments, dialog, recall = plugin_modules({gimp.inside(gimp.plugin_dir)!r})
    image = canvas(80, 80)
    made = {{}}
    for name in {made_in_order!r}:
        picture = {photos.style!r} if name == "Starry Night" else {photos.portrait!r}
        made[name] = add_layer(image, picture, name)
    content, style = made["Portrait"], made["Starry Night"]
    image.raise_item_to_top(style)
    image.lower_item_to_bottom(made["Sketch"]){run_first}
    REPORT["ids"] = {{layer.get_name(): layer.get_id() for layer in image.get_layers()}}
    procedure = dialog_procedure(arguments, dialog)
    config = procedure.create_config()
    config.set_property("image", image)
    recall.recall_last(config)
    init_ui()
    window = dialog.build_dialog(procedure, config, arguments.dialog_arguments(), [content])
    show(window)
    REPORT["dialog"] = {{"style": chosen_layer(window, "style-layer"),
                        "ok_sensitive": dialog_state(window)["ok_sensitive"]}}
    window.destroy()
    again = run_procedure({DIALOG!r}, image, [content], run_mode=Gimp.RunMode.WITH_LAST_VALS)
    REPORT["repeat"] = {{"status": again["status"], "error": again["error"],
                        "layers": layer_names(image)}}
scenario(body)
""", env={"DISPLAY": display.display})


@pytest.fixture(scope="module")
def sessions(gimp, photos, display):
    first = session(gimp, photos, display, ("Sketch", "Portrait", "Starry Night"), stylize=True)
    second = session(gimp, photos, display, ("Starry Night", "Sketch", "Portrait"),
                     stylize=False)
    return first, second


def test_the_second_session_would_find_another_layer_under_the_saved_id(sessions):
    first, second = sessions
    assert first.report["stylized"]["status"] == "success", first.report["stylized"]["error"]
    saved = first.report["stylized"]["style_id"]
    named = {item_id: name for name, item_id in second.report["ids"].items()}
    assert named.get(saved) not in (None, "Starry Night")  # the hazard this guards against


def test_within_one_session_the_dialog_shows_the_remembered_style_layer(sessions):
    first, _ = sessions
    assert first.report["dialog"] == {"style": "Starry Night", "ok_sensitive": True}
    assert first.report["repeat"]["status"] == "success", first.report["repeat"]["error"]


def test_a_new_session_shows_no_style_layer_and_ok_waits_for_one(sessions):
    _, second = sessions
    assert second.report["dialog"] == {"style": None, "ok_sensitive": False}


def test_repeat_in_a_new_session_asks_for_a_style_layer_and_adds_nothing(sessions):
    _, second = sessions
    repeat = second.report["repeat"]
    assert repeat["status"] == "execution-error"
    assert "Choose one in Filters ▸ Artistic ▸ Portrait Stylization…" in repeat["error"]
    assert repeat["layers"] == ["Starry Night", "Portrait", "Sketch"]
