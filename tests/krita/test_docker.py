"""The docker in a real Krita: its generated widgets, a stylization driven through them with a
style from another document, live previews, the result layer, one undo step; then a 16-bit
document, a selection, and Cancel. One Krita session (module fixture)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.gimp.scenarios import pixels
from tests.krita.scenarios import TINY_OPTIONS

pytestmark = pytest.mark.krita

OFFSETS = (4, 2)
SELECTION = (10, 12, 30, 24)  # x, y, width, height in document pixels


@pytest.fixture(scope="module")
def run(krita, photos):
    return krita.run(f"""
def prepare_document(key, depth=None, select=None):
    document = yield from new_document(80, 80, key)
    content = yield from add_png_layer(document, {photos.portrait!r}, "Portrait",
                                       offsets={OFFSETS!r})
    if depth is not None:
        document.setColorSpace("RGBA", depth, "sRGB-elle-V2-srgbtrc.icc")
        document.waitForDone()
    if select is not None:
        from krita import Selection
        selection = Selection()
        selection.select(*select, 255)
        document.setSelection(selection)
    yield from activate(document, content)
    docker = plugin_docker()
    choose_style(docker, 0, "Styles ▸ Starry Night")
    return document, content, docker

def stylize(key, depth=None, select=None):
    document, content, docker = yield from prepare_document(key, depth, select)
    set_options(docker.form, {TINY_OPTIONS!r})
    outcome = yield from run_docker(docker)
    call = {{"outcome": outcome, "layers": names(document), "content": layer_info(content),
            "status": docker.status.text(), "progress": docker.progress.value(),
            "preview_shown": not docker.preview.pixmap().isNull()
                             if docker.preview.pixmap() is not None else False}}
    REPORT["calls"][key] = call
    if "finished" in outcome:
        result = [node for node in document.rootNode().childNodes()
                  if node.name() == "Starry Night"][0]
        call["result"] = layer_info(result)
        whole = call["content"]["bounds"]
        dump(content, key + "_content", whole)
        dump(result, key + "_result", whole)
        call["annotation"] = bytes(document.annotation("portrait-stylization")).decode()
        if key == "u8":
            kra = os.path.join(OUT, "saved.kra")
            document.setBatchmode(True)
            call["saved"] = document.saveAs(kra)
            document.setBatchmode(False)
            reopened = Krita.instance().openDocument(kra)
            call["reopened_annotation"] = bytes(
                reopened.annotation("portrait-stylization")).decode()
            reopened.close()
        yield from undo(document)
        call["after_undo"] = names(document)

def cancel():
    document, content, docker = yield from prepare_document("cancel")
    set_options(docker.form, {{**{TINY_OPTIONS!r}, "initial_iterations": 100000}})
    docker.stylize_button.click()
    outcome = follow(docker.job)
    yield from until(lambda: any("iteration" in text for text in outcome.get("progress", [])),
                     300, "the job to iterate")
    REPORT["cancel_button_enabled"] = docker.cancel_button.isEnabled()
    docker.cancel_button.click()
    yield from ended(outcome, 120)
    REPORT["calls"]["cancel"] = {{"outcome": outcome, "layers": names(document),
                                 "status": docker.status.text(),
                                 "stylize_enabled": docker.stylize_button.isEnabled()}}

def scaled_up():
    document, content, docker = yield from prepare_document("scaled_up")
    set_options(docker.form, {{**{TINY_OPTIONS!r}, "min_scale": 32, "end_scale": 32}})
    outcome = yield from run_docker(docker)
    REPORT["calls"]["scaled_up"] = {{"outcome": outcome, "layers": names(document),
                                    "content": layer_info(content),
                                    "status": docker.status.text()}}

def body():
    styles = yield from new_document(64, 64, "Styles")
    yield from add_png_layer(styles, {photos.style!r}, "Starry Night")
    docker = plugin_docker()
    form = docker.form
    REPORT["widgets"] = {{name: type(editor).__name__ for name, editor in form.editors.items()}}
    REPORT["tooltips"] = {{name: editor.toolTip() for name, editor in form.editors.items()}}
    REPORT["main"] = [name for name, editor in form.editors.items()
                      if not form.advanced.isAncestorOf(editor)]
    REPORT["advanced_hidden_at_first"] = form.advanced.isHidden()
    form.advanced_button.click()
    REPORT["advanced_hidden_after_click"] = form.advanced.isHidden()
    REPORT["content_weight_shown"] = form.editors["content_weight"].text()
    REPORT["fields_shown"] = {{name: form.editors[name].text()
                              for name in ("step_size", "tile_size", "style_size")}}
    REPORT["style_weight_shown"] = docker.weight_boxes[0].text()
    mesh = form.editors["mesh_weight"]
    default_mesh = mesh.value()
    mesh.setValue(0.015)
    REPORT["mesh_weight_opt_in"] = [mesh.text(), form.options().mesh_weight]
    mesh.setValue(default_mesh)
    docker.preview_interval.setValue(1)
    yield from stylize("u8")
    docker.preview_interval.setValue(0)
    yield from stylize("u16", depth="U16")
    yield from stylize("f16", depth="F16")
    yield from stylize("selection", select={SELECTION!r})
    yield from scaled_up()
    yield from cancel()
""")


def _finished(run, key):
    call = run.call(key)
    assert "finished" in call["outcome"], call
    return call


def test_the_docker_offers_every_option_from_the_one_definition(run):
    from shared.options import MAIN_OPTIONS, option_specs

    specs = option_specs()
    assert list(run.report["widgets"]) == [spec.name for spec in specs]
    kinds = {"float": "DecimalField", "int": "WholeField", "bool": "QCheckBox",
             "choice": "QComboBox", "text": "QLineEdit"}
    assert run.report["widgets"] == {spec.name: kinds[spec.type.widget] for spec in specs}
    assert run.report["tooltips"] == {spec.name: spec.tooltip + spec.type.widget_hint
                                      for spec in specs}
    assert sorted(run.report["main"]) == sorted(MAIN_OPTIONS)
    assert run.report["advanced_hidden_at_first"] and not run.report["advanced_hidden_after_click"]
    assert run.report["content_weight_shown"] == "0.015"


def test_number_fields_show_the_places_values_need_and_the_tile_sizes_word(run):
    assert run.report["fields_shown"] == {"step_size": "0.02", "tile_size": "auto",
                                          "style_size": "not set"}
    assert run.report["style_weight_shown"] == "1.0"


def test_an_opt_in_mesh_weight_is_kept_not_rounded_to_the_defaults_digits(run):
    assert run.report["mesh_weight_opt_in"] == ["0.015", 0.015]


def test_the_result_is_a_new_layer_above_the_content_named_after_the_style(run):
    call = _finished(run, "u8")
    assert call["layers"] == ["Starry Night", "Portrait"]
    result, content = call["result"], call["content"]
    assert result["type"] == "paintlayer"
    assert result["bounds"] == content["bounds"]
    assert (result["depth"], result["model"]) == ("U8", "RGBA")


def test_progress_and_previews_are_shown_while_it_runs(run):
    call = _finished(run, "u8")
    progress = call["outcome"]["progress"]
    assert any("scale 1/1" in text and "iteration 3/3" in text for text in progress)
    assert call["preview_shown"]
    assert call["progress"] == 1000


def test_the_job_metadata_is_kept_in_the_document(run):
    call = _finished(run, "u8")
    record = json.loads(call["annotation"])
    metadata = record[call["result"]["id"]]
    assert metadata["options"]["end_scale"] == 64


def test_the_metadata_survives_saving_as_kra(run):
    call = _finished(run, "u8")
    assert call["saved"]
    assert json.loads(call["reopened_annotation"]) == json.loads(call["annotation"])


def test_one_undo_removes_the_result(run):
    assert _finished(run, "u8")["after_undo"] == ["Portrait"]


def _content_and_result(run, key, dtype="u8"):
    call = _finished(run, key)
    width, height = call["content"]["bounds"][2:]
    return (call, pixels(run.out_dir, f"{key}_content", [width, height], dtype=dtype),
            pixels(run.out_dir, f"{key}_result", [width, height], dtype=dtype))


def test_the_result_keeps_the_contents_alpha_and_changes_its_colours(run):
    _, content, result = _content_and_result(run, "u8")
    np.testing.assert_array_equal(result[..., 3], content[..., 3])
    visible = content[..., 3] == 255
    change = np.abs(result[..., :3].astype(int) - content[..., :3]).max(axis=2)
    assert change[visible].mean() > 2


def test_a_16_bit_document_is_stylized_at_16_bits(run):
    call, content, result = _content_and_result(run, "u16", dtype="u16")
    assert call["result"]["depth"] == "U16"
    # The content came from an 8-bit PNG: its samples take at most 256 values. A result
    # computed and written at 16 bits takes many more.
    assert len(np.unique(content[..., :3])) <= 256
    assert len(np.unique(result[..., :3])) > 1000
    np.testing.assert_array_equal(result[..., 3], content[..., 3])


def test_a_half_float_document_is_stylized_in_half_floats(run):
    call, content, result = _content_and_result(run, "f16", dtype="f16")
    assert call["result"]["depth"] == "F16"
    np.testing.assert_array_equal(result[..., 3], content[..., 3])
    visible = content[..., 3] == 1
    change = np.abs(result[..., :3].astype(float) - content[..., :3]).max(axis=2)
    assert change[visible].mean() > 2 / 255


def test_only_the_selection_is_stylized_and_the_rest_is_transparent(run):
    call, content, result = _content_and_result(run, "selection")
    x0, y0 = call["content"]["bounds"][:2]
    sx, sy, width, height = SELECTION
    assert call["result"]["bounds"] == [sx, sy, width, height]
    inside = np.zeros(content.shape[:2], bool)
    inside[sy - y0:sy - y0 + height, sx - x0:sx - x0 + width] = True
    assert (result[~inside] == 0).all()
    visible = inside & (content[..., 3] == 255)
    change = np.abs(result[..., :3].astype(int) - content[..., :3]).max(axis=2)
    assert change[visible].mean() > 2


def test_cancel_stops_the_job_and_adds_nothing(run, backend):
    assert run.report["cancel_button_enabled"]
    call = run.call("cancel")
    assert "cancelled" in call["outcome"] and "finished" not in call["outcome"]
    assert call["layers"] == ["Portrait"]
    assert call["stylize_enabled"]
    with backend.client() as client:
        assert client.health()["running_job"] is None


def test_a_result_computed_smaller_than_the_layer_says_it_was_scaled_up(run):
    call = _finished(run, "scaled_up")
    factor = max(call["content"]["bounds"][2:]) / 32
    assert factor > 1
    name = f"Starry Night, computed at 32 px, scaled up ×{round(factor, 1):g}"
    assert call["outcome"]["finished"] == name
    assert name in call["layers"]
