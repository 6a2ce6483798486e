"""The result size in a user's words: the dialog's choices, the device's default, the notice
on a result scaled up to its layer, and the line that says how long a size takes."""

from __future__ import annotations

import pytest

from shared.job_time import duration_text, rough_seconds
from shared.options import Options
from shared.result_size import (
    LAYER_SIZE,
    OTHER_SIZE,
    SIZE_CHOICES,
    choice_for,
    choice_label,
    computed_size,
    default_end_scale,
    size_note,
    upscale_notice,
)
from shared.schedule import scale_plan


def test_every_choice_but_other_is_one_end_scale_and_maps_back_to_itself():
    for choice in SIZE_CHOICES:
        if choice is not OTHER_SIZE:
            assert choice_for(choice.end_scale) == choice
    assert [choice.end_scale for choice in SIZE_CHOICES] == [0, 512, 1024, 2048, None]
    assert choice_for(700) == OTHER_SIZE


def test_the_fast_choice_says_so():
    assert choice_for(512).label == "512 px — fast"


def test_the_layer_choice_names_the_layers_size_or_the_selections():
    assert choice_label(LAYER_SIZE, (600, 400)) == "Layer size (600×400)"
    assert choice_label(LAYER_SIZE, (30, 20), selection=True) == "Selection size (30×20)"
    assert choice_label(choice_for(1024), (600, 400)) == "1024 px"


@pytest.mark.parametrize("device, end_scale", [("cuda:0", 0), ("mps", 0), ("cpu", 512),
                                                (None, 512)])
def test_the_default_is_the_layers_size_on_a_gpu_and_512_px_elsewhere(device, end_scale):
    assert default_end_scale(device) == end_scale


def test_the_layer_size_is_computed_at_the_layers_own_size():
    assert computed_size(Options(end_scale=0), (600, 400)) == (600, 400)
    assert computed_size(Options(end_scale=512), (600, 400)) == (512, 341)
    assert computed_size(Options(end_scale=1024), (600, 400)) == (1024, 683)


def test_a_smaller_result_is_announced_with_its_size_and_factor():
    assert upscale_notice((512, 341), (600, 400)) == "computed at 512 px, scaled up ×1.2"
    assert upscale_notice((512, 384), (4000, 3000)) == "computed at 512 px, scaled up ×7.8"
    assert upscale_notice((256, 128), (512, 256)) == "computed at 256 px, scaled up ×2"


def test_a_result_at_or_above_the_layers_size_is_not_announced():
    assert upscale_notice((600, 400), (600, 400)) == ""
    assert upscale_notice((1024, 683), (600, 400)) == ""


def test_on_a_cpu_the_note_gives_this_size_and_the_layer_size_in_rough_minutes():
    options, layer = Options(end_scale=512), (4000, 3000)
    here = duration_text(rough_seconds(scale_plan(options, layer), "cpu"))
    whole = duration_text(rough_seconds(scale_plan(options.replace(end_scale=0), layer), "cpu"))
    assert size_note(options, layer, "cpu") == (
        f"Computed at 512 px, scaled up ×7.8. This size: {here} on this CPU; layer size: "
        f"{whole} (rough).")
    assert here != whole


def test_at_layer_size_on_a_cpu_the_note_gives_its_time_alone():
    options = Options(end_scale=0, initial_iterations=100, iterations=50)
    seconds = rough_seconds(scale_plan(options, (600, 400)), "cpu")
    assert size_note(options, (600, 400), "cpu") == (
        f"{duration_text(seconds).capitalize()} on this CPU (rough).")
    assert "min" in size_note(options, (600, 400), "cpu")


def test_a_600_by_400_layer_at_its_size_takes_under_an_hour_not_hours():
    # The dialog said "About 3.3 h" (50 s per megapixel-iteration, from elapsed times on an
    # overloaded machine); 240 megapixel-iterations at ~9.4 s plus the face terms' 0.05 s
    # for each of 3000 iterations is about 40 min (shared/job_time.py gives the sources).
    assert size_note(Options(end_scale=0), (600, 400), "cpu") == (
        "About 40 min on this CPU (rough).")
    no_faces = Options(end_scale=0, face_weight=0, mesh_weight=0)
    assert rough_seconds(scale_plan(no_faces, (600, 400)), "cpu", faces=False) < (
        rough_seconds(scale_plan(Options(end_scale=0), (600, 400)), "cpu"))


def test_on_a_gpu_or_an_unknown_device_the_note_gives_no_time():
    assert size_note(Options(end_scale=512), (600, 400), "cuda:0") == (
        "Computed at 512 px, scaled up ×1.2.")
    assert size_note(Options(end_scale=0), (600, 400), None) == ""
