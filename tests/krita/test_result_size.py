"""The docker's result size in words, in a real Krita: the same choices and time line as
GIMP's dialog (shared/result_size.py), in step with the End scale field, the layer entry
naming the layer's or the selection's size, the default from the backend's device, and a run
at "Layer size" that is not scaled up. One Krita session (module fixture), a fresh profile as
far as the last options go (none saved, so the size follows the device)."""

from __future__ import annotations

import re

import pytest

from krita_plugin.settings import LAST_OPTIONS_KEY
from shared.options import Options
from shared.result_size import SIZE_CHOICES, size_note
from tests.krita.scenarios import TINY_OPTIONS

pytestmark = pytest.mark.krita

OFFSETS = (4, 2)
SELECTION = (10, 12, 30, 24)  # x, y, width, height in document pixels
TYPED = (700, 2048, 0, 512)


@pytest.fixture(scope="module")
def run(krita, photos):
    # the last options an earlier test's docker run saved would stand for a size chosen
    lines = krita.kritarc.read_text().splitlines(keepends=True)
    krita.kritarc.write_text("".join(line for line in lines
                                     if not line.startswith(f"{LAST_OPTIONS_KEY}=")))
    tiny = {name: value for name, value in TINY_OPTIONS.items() if name != "end_scale"}
    return krita.run(f"""
def sizes(docker):
    combo = docker.sizes.combo
    return {{"entries": [combo.itemText(i) for i in range(combo.count())],
            "chosen": combo.currentData(), "end_scale": docker.form.editors["end_scale"].value(),
            "note": docker.sizes.note.text(), "note_shown": not docker.sizes.note.isHidden(),
            "device": docker.sizes.device, "follows_device": docker.sizes.follow_device}}

def body():
    from krita_plugin.settings import has_last
    docker = plugin_docker()
    REPORT["had_last"] = has_last()
    REPORT["at_start"] = sizes(docker)
    REPORT["label"] = docker.form.main.labelForField(docker.sizes.combo).text()
    styles = yield from new_document(64, 64, "Styles")
    yield from add_png_layer(styles, {photos.style!r}, "Starry Night")
    document = yield from new_document(80, 80, "Sizes")
    content = yield from add_png_layer(document, {photos.portrait!r}, "Portrait",
                                       offsets={OFFSETS!r})
    yield from activate(document, content)
    docker.refresh()
    REPORT["content"] = layer_info(content)
    REPORT["layer"] = sizes(docker)
    combo = docker.sizes.combo
    combo.setCurrentIndex(combo.findData("px1024"))
    REPORT["picked_1024"] = sizes(docker)
    REPORT["typed"] = {{}}
    for value in {TYPED!r}:
        docker.form.editors["end_scale"].setValue(value)
        REPORT["typed"][value] = sizes(docker)
    from krita import Selection
    selection = Selection()
    selection.select(*{SELECTION!r}, 255)
    document.setSelection(selection)
    yield 100
    docker.refresh()
    REPORT["selection"] = sizes(docker)
    Krita.instance().action("deselect").trigger()
    yield from until(lambda: document.selection() is None, 10, "the selection to go")
    docker.refresh()
    choose_style(docker, 0, "Styles ▸ Starry Night")
    set_options(docker.form, {tiny!r})
    combo.setCurrentIndex(combo.findData("layer"))
    REPORT["before_run"] = sizes(docker)
    REPORT["outcome"] = yield from run_docker(docker)
    REPORT["layers"] = names(document)
    REPORT["after_run"] = sizes(docker)
""")


def _size(run) -> tuple[int, int]:
    return tuple(run.report["content"]["bounds"][2:])


def test_the_docker_offers_the_result_size_in_words_above_end_scale(run):
    width, height = _size(run)
    assert run.report["label"] == "Result size"
    assert run.report["layer"]["entries"] == [
        f"Layer size ({width}×{height})", *(choice.label for choice in SIZE_CHOICES[1:])]


def test_with_no_size_chosen_yet_the_size_follows_the_cpu_backend(run):
    assert not run.report["had_last"]
    start = run.report["at_start"]
    assert start["device"] == "cpu"
    assert (start["chosen"], start["end_scale"], start["follows_device"]) == ("px512", 512, True)


def test_the_line_under_the_size_says_scaled_up_and_how_long_on_this_cpu(run):
    layer = run.report["layer"]
    assert layer["note_shown"]
    assert layer["note"] == size_note(Options(), _size(run), "cpu")
    assert "on this CPU" in layer["note"]
    picked = run.report["picked_1024"]
    assert (picked["chosen"], picked["end_scale"], picked["follows_device"]) == (
        "px1024", 1024, False)
    assert picked["note"] == size_note(Options(end_scale=1024), _size(run), "cpu")


def test_a_typed_end_scale_picks_its_words(run):
    typed = run.report["typed"]
    assert {value: entry["chosen"] for value, entry in typed.items()} == {
        "700": "other", "2048": "px2048", "0": "layer", "512": "px512"}
    assert typed["0"]["note"] == size_note(Options(end_scale=0), _size(run), "cpu")
    assert re.fullmatch(r"About .+ on this CPU \(rough\)\.", typed["0"]["note"])


def test_the_layer_entry_names_the_selections_size_when_there_is_one(run):
    assert run.report["selection"]["entries"][0] == (
        f"Selection size ({SELECTION[2]}×{SELECTION[3]})")


def test_a_run_at_layer_size_is_not_scaled_up(run):
    before = run.report["before_run"]
    assert (before["chosen"], before["end_scale"]) == ("layer", 0)
    assert before["entries"][0] == "Layer size ({}×{})".format(*_size(run))
    assert run.report["outcome"].get("finished") == "Starry Night", run.report["outcome"]
    assert run.report["layers"] == ["Starry Night", "Portrait"]
    after = run.report["after_run"]
    assert (after["device"], after["follows_device"]) == ("cpu", False)
