"""The result size in a real GIMP 3: the dialog offers it in words ("Layer size (600×400)",
"512 px — fast", …) with a line on how long it takes on a CPU, each choice sets end-scale, and
the result layer says when it was computed smaller than the layer and scaled up.

One GIMP run (module fixture) builds the dialog with the plug-in's own code for a 600×400
layer, chooses "Layer size" and runs the procedure with what that set; then the 512-px choice on
a 1000×500 layer. Each job is one scale and one iteration, so the sizes are what is tested."""

from __future__ import annotations

import json

import pytest

from shared.options import Options
from shared.result_size import size_note
from tests.gimp.harness import SCREEN, keep_screenshots
from tests.gimp.scenarios import DIALOG, DIALOG_PROBE, RESULT, arguments_text

pytestmark = pytest.mark.gimp

# One scale (min_scale above the end) and one iteration, no face terms: seconds per job.
ONE_STEP = {"min_scale": 8192, "initial_iterations": 1, "iterations": 1, "face_weight": 0.0,
            "mesh_weight": 0.0, "preview_interval": 0}
LAYER, LARGER = (600, 400), (1000, 500)


@pytest.fixture(scope="module")
def run(gimp, photos, display, tmp_path_factory):
    run = gimp.run(DIALOG_PROBE.read_text() + f"""
def entries(window):
    combo = window.get_widget("result-size", GObject.TYPE_NONE).get_widget()
    column = combo.get_property("label-column")
    return [row[column] for row in combo.get_model()]

def state(window, config):
    return {{"result_size": config.get_property("result-size"),
            "end_scale": config.get_property("end-scale"), **dialog_state(window)}}

def portrait(size):
    image = canvas(*size)
    content = add_layer(image, {photos.portrait!r}, "Portrait")
    content.scale(*size, False)
    style = add_layer(image, {photos.style!r}, "Starry Night", position=0)
    return image, content, style

def stylize(key, size, end_scale):
    image, content, style = portrait(size)
    call = run_procedure({DIALOG!r}, image, [content], style_layer=style, end_scale=end_scale,
                         {arguments_text(ONE_STEP)})
    REPORT["calls"][key] = {{"status": call["status"], "error": call["error"],
                            "layer": layer_info(image, call["layer"]) if call["layer"] else None,
                            "content": layer_info(image, content)}}

def body():
    arguments, dialog, _ = plugin_modules({gimp.inside(gimp.plugin_dir)!r})
    image, content, style = portrait({LAYER!r})
    procedure = dialog_procedure(arguments, dialog)
    config = procedure.create_config()
    config.set_property("image", image)
    config.set_property("style-layer", style)
    from shared import session
    from shared.plugin_settings import PluginSettings
    REPORT["device"] = session.running_device(PluginSettings(endpoint={gimp.endpoint!r}))
    init_ui()
    window = dialog.build_dialog(procedure, config, arguments.dialog_arguments(), [content],
                                 REPORT["device"])
    show(window)
    REPORT["entries"] = entries(window)
    REPORT["opened"] = state(window, config)
    screenshot(window, "result-size-512")
    config.set_property("result-size", "layer")
    settle()
    REPORT["layer"] = state(window, config)
    screenshot(window, "result-size-layer")
    config.set_property("end-scale", 700)
    settle()
    REPORT["typed_700"] = state(window, config)
    config.set_property("end-scale", 1024)
    settle()
    REPORT["typed_1024"] = state(window, config)
    window.destroy()
    stylize("layer_size", {LAYER!r}, REPORT["layer"]["end_scale"])
    stylize("fast", {LARGER!r}, 512)
scenario(body)
""", env={"DISPLAY": display.display})
    # Kept beyond the GIMP profile, to look at: pytest's basetemp/result-size-screenshots*/
    keep_screenshots(run, tmp_path_factory.mktemp("result-size-screenshots"))
    return run


def test_the_sizes_are_offered_in_words_with_the_layers_own_size(run):
    assert run.report["entries"] == ["Layer size (600×400)", "512 px — fast", "1024 px",
                                     "2048 px", "Other (number below)"]


def test_the_dialog_asks_the_running_backend_for_its_device(run):
    assert run.report["device"] == "cpu"  # the test backend's; its note gives CPU times


def test_the_dialog_opens_on_the_fast_size_and_says_how_long_the_layer_size_takes(run):
    opened = run.report["opened"]
    assert (opened["result_size"], opened["end_scale"]) == ("px512", 512)
    note = size_note(Options(), LAYER, "cpu")
    assert note.startswith("Computed at 512 px, scaled up ×1.2. This size: about ")
    assert "on this CPU; layer size: about " in note
    assert note in opened["labels"]


def test_choosing_layer_size_sets_end_scale_0_and_the_note_gives_its_time(run):
    chosen = run.report["layer"]
    assert (chosen["result_size"], chosen["end_scale"]) == ("layer", 0)
    note = size_note(Options(end_scale=0), LAYER, "cpu")
    assert note.startswith("About ") and note.endswith(" on this CPU (rough).")
    assert note in chosen["labels"]
    assert not any("scaled up" in text for text in chosen["labels"])


def test_a_typed_result_size_picks_its_words(run):
    assert run.report["typed_700"]["result_size"] == "other"
    assert run.report["typed_1024"]["result_size"] == "px1024"


def test_the_dialog_with_the_size_line_fits_the_screen(run):
    for key in ("opened", "layer"):
        width, height = run.report[key]["size"]
        assert width <= SCREEN[0] and height <= SCREEN[1] - 100, run.report[key]["size"]


def test_layer_size_is_computed_at_the_layers_size_and_not_scaled_up(run):
    call = run.call("layer_size")
    assert call["status"] == "success", call["error"]
    assert call["layer"]["size"] == call["content"]["size"] == list(LAYER)
    assert json.loads(call["layer"]["parasite"])["size"] == list(LAYER)  # computed at 600×400
    assert call["layer"]["name"] == RESULT
    assert "scaled up" not in call["layer"]["name"]


def test_the_fast_size_on_a_larger_layer_says_it_was_scaled_up(run):
    call = run.call("fast")
    assert call["status"] == "success", call["error"]
    assert call["layer"]["size"] == list(LARGER)
    assert json.loads(call["layer"]["parasite"])["size"] == [512, 256]
    assert call["layer"]["name"] == f"{RESULT}, computed at 512 px, scaled up ×2"
