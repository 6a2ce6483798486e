"""Portrait Stylization (selected layers) in a real GIMP 3: the quick procedure for a shortcut.

One GIMP run (module fixture): first the wrong selections, each answered with a one-line error,
then a dialog-procedure run that sets the last options, then the quick procedure on two selected
layers given in bottom-to-top order (selection order is not stacking order)."""

from __future__ import annotations

import json

import pytest

from tests.gimp.scenarios import DIALOG, RESULT, SELECTED, TINY, arguments_text

pytestmark = pytest.mark.gimp


@pytest.fixture(scope="module")
def run(gimp, photos):
    return gimp.run(f"""
def call(key, image, drawables):
    result = run_procedure({SELECTED!r}, image, drawables)
    REPORT["calls"][key] = {{"status": result["status"], "error": result["error"],
                            "layer": layer_info(image, result["layer"])
                            if result["layer"] else None, "layers": layer_names(image)}}

def body():
    masks = Gimp.ProcedureSensitivityMask
    mask = Gimp.get_pdb().lookup_procedure({SELECTED!r}).get_sensitivity_mask()
    REPORT["enabled with"] = {{"one layer": bool(mask & masks.DRAWABLE),
                              "several layers": bool(mask & masks.DRAWABLES)}}
    image = canvas(100, 90)
    content = add_layer(image, {photos.portrait!r}, "Portrait", offsets=(3, 4))
    style = add_layer(image, {photos.style!r}, "Starry Night", position=0)
    other = add_layer(image, {photos.second_style!r}, "Bricks", position=0)
    group = Gimp.GroupLayer.new(image, "Group")
    image.insert_layer(group, None, 0)
    channel = Gimp.Channel.new(image, "Red", 100, 90, 50.0, Gegl.Color.new("red"))
    image.insert_channel(channel, None, 0)
    call("one layer", image, [content])
    call("three layers", image, [content, style, other])
    call("a group", image, [group, content])
    call("a channel", image, [channel, content])
    image.remove_layer(other)
    image.remove_layer(group)
    first = run_procedure({DIALOG!r}, image, [content], style_layer=style,
                          {arguments_text(TINY)}, content_weight=0.02)
    REPORT["calls"]["dialog"] = {{"status": first["status"], "error": first["error"],
                                 "layer": layer_info(image, first["layer"])
                                 if first["layer"] else None}}
    image.remove_layer(first["layer"])
    call("quick", image, [content, style])
    REPORT["calls"]["quick"]["content"] = layer_info(image, content)
scenario(body)
""")


def test_the_quick_command_is_enabled_with_one_layer_so_its_own_message_can_explain(run):
    # GIMP greys out a menu entry by the procedure's sensitivity mask; with one layer selected
    # the entry stays enabled and running it says to select two.
    assert run.report["enabled with"] == {"one layer": True, "several layers": True}


@pytest.mark.parametrize("case, words", [
    ("one layer", "1 item is selected"),
    ("three layers", "3 items are selected"),
    ("a group", "'Group' is a layer group"),
    ("a channel", "'Red' is a channel"),
])
def test_a_wrong_selection_gets_a_one_line_message(run, case, words):
    call = run.call(case)
    assert call["status"] == "execution-error"
    assert words in call["error"] and "\n" not in call["error"]
    assert "Select" in call["error"]
    assert call["layers"] == ["Group", "Bricks", "Starry Night", "Portrait"]  # nothing added


def test_the_upper_layer_is_the_style_and_the_lower_the_content(run):
    quick = run.call("quick")
    assert quick["status"] == "success", quick["error"]
    assert quick["layer"]["name"] == RESULT
    assert quick["layer"]["position"] == quick["content"]["position"] - 1
    assert quick["layer"]["offsets"] == quick["content"]["offsets"] == [3, 4]
    assert quick["layer"]["size"] == quick["content"]["size"]


def test_the_quick_procedure_uses_the_last_options(run):
    dialog, quick = run.call("dialog"), run.call("quick")
    assert dialog["status"] == "success", dialog["error"]
    options = json.loads(quick["layer"]["parasite"])["options"]
    assert options == json.loads(dialog["layer"]["parasite"])["options"]
    assert options["content_weight"] == 0.02
