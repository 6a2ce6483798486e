"""The dialog of Filters ▸ Artistic ▸ Portrait Stylization… as a user sees it, built by the
plug-in's own code in a real GIMP 3 on a 1366×768 virtual display: it fits the screen, and OK
stays greyed out, with a line saying why, until a usable style layer is chosen."""

from __future__ import annotations

import pytest

from gimp_plugin.arguments import dialog_arguments
from shared.options import Options
from tests.gimp.harness import SCREEN, keep_screenshots
from tests.gimp.scenarios import DIALOG_PROBE

pytestmark = pytest.mark.gimp

@pytest.fixture(scope="module")
def run(gimp, photos, display, tmp_path_factory):
    run = gimp.run(DIALOG_PROBE.read_text() + f"""
def body():
    arguments, dialog, _ = plugin_modules({gimp.inside(gimp.plugin_dir)!r})
    image = canvas(80, 80)
    content = add_layer(image, {photos.portrait!r}, "Portrait")
    style = add_layer(image, {photos.style!r}, "Starry Night", position=0)
    procedure = dialog_procedure(arguments, dialog)
    config = procedure.create_config()
    config.set_property("image", image)
    init_ui()
    window = dialog.build_dialog(procedure, config, arguments.dialog_arguments(), [content])
    show(window)
    REPORT["no_style"] = dialog_state(window)
    screenshot(window, "no-style")
    config.set_property("style-layer", content)
    settle()
    REPORT["content_as_style"] = dialog_state(window)
    config.set_property("style-layer", style)
    settle()
    REPORT["style"] = dialog_state(window)
    REPORT["fields"] = fields(window, {{spec.name: dialog.field_name(spec)
                                       for spec in arguments.dialog_arguments()}})
    from gimp_plugin.canvas import rgb_of
    REPORT["colour"] = list(rgb_of(config.get_property("background-colour-button")))
    REPORT["typed"] = {{}}
    for name, typed in [("step-size", None), ("tile-size", "off"), ("tile-size", "512"),
                        ("tile-size", "Auto"), ("tile-size", "bogus"), ("step-size", "0.025")]:
        spin = window.get_widget(name, GObject.TYPE_NONE).get_spin_button()
        if typed is None:  # a value set by the config (a script, the last values)
            config.set_property(name, 0.015)
        else:  # typed, then Enter
            spin.set_text(typed)
            spin.activate()
        settle()
        REPORT["typed"][f"{{name}} {{typed}}"] = [spin.get_text(), config.get_property(name)]
    screenshot(window, "style")
    window.get_widget("advanced-notebook", GObject.TYPE_NONE).set_current_page(1)
    screenshot(window, "faces")
    window.get_widget("advanced-notebook", GObject.TYPE_NONE).set_current_page(2)
    screenshot(window, "background")
    window.destroy()
scenario(body)
""", env={"DISPLAY": display.display})
    # Kept beyond the GIMP profile, to look at: pytest's basetemp/dialog-screenshots*/
    keep_screenshots(run, tmp_path_factory.mktemp("dialog-screenshots"))
    return run


def test_the_dialog_fits_a_1366_by_768_screen(run):
    state = run.report["style"]
    assert state["screen"] == list(SCREEN)
    width, height = state["size"]
    # Room for a window manager's title bar and a desktop panel.
    assert width <= SCREEN[0] and height <= SCREEN[1] - 100, state["size"]
    x, y, ok_width, ok_height = state["ok"]
    assert x >= 0 and x + ok_width <= width and y >= 0 and y + ok_height <= height


ARGUMENTS = {argument.name: argument for argument in dialog_arguments()}


@pytest.mark.parametrize("name", [name for name, argument in ARGUMENTS.items()
                                  if argument.kind in ("int", "double")])
def test_every_number_field_shows_its_value_faithfully(run, name):
    # GIMP's own choice of digits showed content weight 0.015 as "0.0" and 0.25 as "0.2".
    field, argument = run.report["fields"][name], ARGUMENTS[name]
    assert field["widget"] == "LabelSpin"
    assert len(field["text"]) <= field["chars"], field  # wide enough to show all of it
    if argument.default in argument.words:
        assert field["text"] == argument.words[argument.default], field
    else:
        assert float(field["text"]) == argument.default, field


def test_the_weights_read_as_they_are(run):
    # Two and three digits for the face weights, so 0.25 and an opt-in mesh 0.015 would show too.
    defaults = Options()
    shown = {name: run.report["fields"][name]["text"]
             for name in ("content-weight", "face-weight", "mesh-weight")}
    assert shown == {"content-weight": "0.015", "face-weight": f"{defaults.face_weight:.2f}",
                     "mesh-weight": f"{defaults.mesh_weight:.3f}"}


def test_numbers_read_as_they_are_with_no_trailing_zeros_past_their_step(run):
    # Step size showed 0.020000: six digits for its range's 1e-06.
    shown = {name: run.report["fields"][name]["text"]
             for name in ("step-size", "avg-decay", "tv-weight", "min-scale")}
    assert shown == {"step-size": "0.02", "avg-decay": "0.99", "tv-weight": "2.0",
                     "min-scale": "128"}


def test_the_tile_size_says_auto_and_off_and_reads_them_typed(run):
    assert run.report["fields"]["tile-size"]["text"] == "auto"  # it showed -1
    typed = run.report["typed"]
    assert typed["tile-size off"] == ["off", 0]
    assert typed["tile-size 512"] == ["512", 512]
    assert typed["tile-size Auto"] == ["auto", -1]
    assert typed["tile-size bogus"] == ["auto", -1]  # not read as 0 (off)


def test_a_step_size_of_0_015_shows_all_its_places(run):
    typed = run.report["typed"]
    assert typed["step-size None"] == ["0.015", 0.015]  # set by the config
    assert typed["step-size 0.025"] == ["0.025", 0.025]  # typed


@pytest.mark.parametrize("name", list(ARGUMENTS))
def test_every_field_has_a_label(run, name):
    label = run.report["fields"][name]["label"]
    assert label and label.replace("_", "") == ARGUMENTS[name].label


def test_text_fields_are_one_line_and_the_colour_is_a_colour_button(run):
    fields = run.report["fields"]
    assert fields["face-layers"] == {"widget": "LabelEntry", "label": "Face detail levels",
                                     "text": "0,1,3,4,5", "chars": None}
    assert fields["face-boxes"]["widget"] == "LabelEntry"
    assert fields["background-colour"]["widget"] == "LabelColor"
    assert run.report["colour"] == [255, 255, 255]  # the option's default, white


def test_ok_is_greyed_out_until_a_style_layer_is_chosen(run):
    no_style, style = run.report["no_style"], run.report["style"]
    assert not no_style["ok_sensitive"]
    assert "Choose a style layer (any layer of an open image)." in no_style["labels"]
    assert style["ok_sensitive"]
    assert not any("Choose a style layer" in text for text in style["labels"])


def test_the_content_layer_cannot_be_its_own_style(run):
    state = run.report["content_as_style"]
    assert not state["ok_sensitive"]
    assert any("is the content layer itself" in text for text in state["labels"])
