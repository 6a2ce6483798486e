"""The docker's number fields with real PyQt5 (Debian's, which Krita's plug-ins use), headless:
they show values as GIMP's dialog does (shared.option_types.field_text: the places a value
needs, words for the tile size's special values) and read typed text, words included, back
into the options the docker sends. One probe run (tests/krita_plugin/number_fields_probe.py)."""

from __future__ import annotations

import json
import subprocess

import pytest

from shared.option_types import field_text
from shared.options import option_specs
from tests.krita.harness import REPO, SYSTEM_PYTHON, KritaHarness, ensure_krita

PROBE = REPO / "tests" / "krita_plugin" / "number_fields_probe.py"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    ensure_krita()  # Debian's Python 3 with PyQt5
    out = tmp_path_factory.mktemp("number-fields")
    runtime = out / "runtime"
    runtime.mkdir(mode=0o700)
    # Krita's environment (no OpenCV Qt paths), with no backend: the fields need none.
    env = KritaHarness(out, endpoint="").environment(
        {"QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO),
         "XDG_RUNTIME_DIR": str(runtime)})
    done = subprocess.run([SYSTEM_PYTHON, str(PROBE), str(out / "report.json")], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads((out / "report.json").read_text())


@pytest.mark.parametrize(("name", "raw", "text"), [
    ("content_weight", 0.015, "0.015"), ("mesh_weight", 0.005, "0.005"),
    ("style_scale_fac", 1.0, "1.0"), ("face_jitter", 0.25, "0.25"), ("step_size", 0.02, "0.02"),
    ("tile_size", -1, "auto"), ("tile_size", 0, "off"), ("tile_size", 256, "256"),
    ("style_size", 0, "not set"), ("style_size", 512, "512")])
def test_a_field_shows_the_places_its_value_needs_and_words_for_special_values(
        report, name, raw, text):
    assert [name, raw, text] in report["shown"]


def test_every_default_is_shown_as_gimps_dialog_shows_it(report):
    for spec in option_specs():
        if spec.type.widget not in ("int", "float"):
            continue
        raw = spec.type.to_widget(spec.default)
        # Krita's own word for an optional number's 0 (GIMP's field shows 0)
        optional = spec.type.from_widget(0) is None
        words = {0: "not set"} if optional else spec.type.widget_words
        assert report["defaults"][spec.name] == field_text(raw, spec.step, spec.digits, words)


@pytest.mark.parametrize(("name", "typed", "text", "sent"), [
    ("tile_size", "auto", "auto", None), ("tile_size", "OFF", "off", 0),
    ("tile_size", " Auto ", "auto", None), ("tile_size", "256", "256", 256),
    ("mesh_weight", "0.005", "0.005", 0.005), ("mesh_weight", "0.015", "0.015", 0.015),
    ("content_weight", "0.015", "0.015", 0.015), ("style_scale_fac", "1", "1.0", 1.0),
    ("face_jitter", "0.25", "0.25", 0.25), ("step_size", "0.02", "0.02", 0.02),
    ("style_size", "not set", "not set", None), ("style_size", "640", "640", 640)])
def test_typed_text_becomes_the_value_the_docker_sends(report, name, typed, text, sent):
    shown, value, options_value = next(row[2:] for row in report["typed"]
                                       if row[:2] == [name, typed])
    assert (shown, value, options_value) == (text, sent, sent)


def test_steps_of_0_005_add_up_exactly_and_show_their_places(report):
    stepped = report["stepped"]
    assert stepped["mesh_weight"] == [["0.005", 0.005], ["0.010", 0.01], ["0.015", 0.015]]
    assert stepped["step_size"] == ["0.03", 0.03]
    assert stepped["sent"] == [0.015, 0.03]


def test_letters_no_word_starts_with_are_not_taken(report):
    assert report["refused"]["letters"] == ["512", 512]


def test_an_unfinished_word_or_a_number_out_of_range_goes_back_to_the_last_value(report):
    refused = report["refused"]
    assert refused["partial"] == ["au", 512]  # still being typed: the value waits
    assert refused["unfinished"] == ["512", 512]
    assert refused["below_range"] == ["0.250", 0.25]


def test_a_style_weight_shows_its_value_as_gimps_style_share_does(report):
    assert report["style_weight"] == ["1.0", "0.25", "0.5"]
