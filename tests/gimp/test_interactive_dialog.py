"""The dialog of Filters ▸ Artistic ▸ Portrait Stylization… in a real GIMP 3 on a virtual X
display: it opens with the last values (style layer included), OK runs them, Escape cancels."""

from __future__ import annotations

import json

import pytest

from tests.gimp.scenarios import DIALOG, RESULT, TINY, arguments_text

pytestmark = pytest.mark.gimp


def interactive(photos, remember_first: bool) -> str:
    """A scenario that optionally runs once by script (setting the last values), then opens
    the dialog and records what the user's answer led to."""
    first = f"""
    first = run_procedure({DIALOG!r}, image, [content], style_layer=style,
                          {arguments_text(TINY)}, content_weight=0.03)
    REPORT["calls"]["first"] = {{"status": first["status"], "error": first["error"],
                                "layer": layer_info(image, first["layer"])}}
    image.remove_layer(first["layer"])""" if remember_first else ""
    return f"""
def body():
    image = canvas(80, 80)
    content = add_layer(image, {photos.portrait!r}, "Portrait")
    style = add_layer(image, {photos.style!r}, "Starry Night", position=0){first}
    answer = run_procedure({DIALOG!r}, image, [content], run_mode=Gimp.RunMode.INTERACTIVE)
    REPORT["calls"]["dialog"] = {{"status": answer["status"], "error": answer["error"],
                                 "layer": layer_info(image, answer["layer"])
                                 if answer["layer"] else None, "layers": layer_names(image)}}
scenario(body)
"""


def test_ok_runs_with_the_values_the_dialog_opened_with(gimp, photos, display):
    process, out_dir = gimp.start(interactive(photos, remember_first=True),
                                  env={"DISPLAY": display.display})
    display.press("Portrait Stylization", "Return")
    run = gimp.finish(process, out_dir)
    first, dialog = run.call("first"), run.call("dialog")
    assert first["status"] == "success", first["error"]
    assert dialog["status"] == "success", dialog["error"]
    assert dialog["layer"]["name"] == RESULT
    options = json.loads(dialog["layer"]["parasite"])["options"]
    assert options == json.loads(first["layer"]["parasite"])["options"]
    assert options["content_weight"] == 0.03


def test_escape_cancels_the_dialog_and_changes_nothing(gimp, photos, display):
    process, out_dir = gimp.start(interactive(photos, remember_first=False),
                                  env={"DISPLAY": display.display})
    display.press("Portrait Stylization", "Escape")
    run = gimp.finish(process, out_dir)
    dialog = run.call("dialog")
    assert dialog["status"] == "cancel"
    assert dialog["layers"] == ["Starry Night", "Portrait"]
