"""The one command layer: the same flags for every stylization command, one request check, one
progress bar fed typed events by either back end."""

from __future__ import annotations

import argparse

import numpy as np
import pytest
from PIL import Image

from backend.cli.common import ProgressBar
from backend.cli.job import JobRequest, faces_note, total_iterations
from backend.cli.main import build_parser
from shared.framing import ImageData
from shared.messages import Done, Progress, Queued
from shared.options import Options

JOB_FLAGS = {"-o", "--output", "--bits", "--style-weights", "--metadata", "-q", "--quiet",
             "--end-scale", "--face-weight"}


def flags_of(command: str) -> set[str]:
    subparsers = next(action for action in build_parser()._actions
                      if isinstance(action, argparse._SubParsersAction))
    return {flag for action in subparsers.choices[command]._actions
            for flag in action.option_strings}


@pytest.mark.parametrize("command", ["stylize", "submit", "demo"])
def test_every_stylization_command_takes_the_job_flags(command):
    assert flags_of(command) >= JOB_FLAGS


def test_only_the_back_ends_flags_differ_between_stylize_and_submit():
    # the in-process back end's model and thread flags; a server sets its own (serve --threads)
    assert flags_of("stylize") - flags_of("submit") == {
        "--device", "--vgg-weights", "--facenet-weights", "--allow-random-weights", "--threads"}
    assert flags_of("submit") - flags_of("stylize") == {"--start", "--endpoint", "--timeout",
                                                        "--keys"}


def test_a_request_with_a_weight_per_style_is_accepted_and_other_counts_refused():
    style = Image.new("RGB", (8, 8))
    JobRequest(style, [style, style], [1.0, 2.0], Options())
    with pytest.raises(argparse.ArgumentTypeError, match="2 style image.s. but 1 --style-weights"):
        JobRequest(style, [style, style], [1.0], Options())


def progress(scale_index: int, iteration: int, iterations: int) -> Progress:
    return Progress(job_id="j", scale_index=scale_index, n_scales=2, width=64, height=48,
                    iteration=iteration, iterations=iterations,
                    losses={"total": 0.5, "style": None}, fraction=0.0)


def test_the_total_with_end_scale_zero_counts_the_ladder_to_the_contents_size():
    options = Options(min_scale=45, end_scale=0, initial_iterations=4, iterations=2)
    assert total_iterations(options, Image.new("RGB", (64, 48))) == 4 + 2
    assert total_iterations(options, np.zeros((48, 90, 3), np.float32)) == 4 + 2 * 2


def test_the_total_counts_high_scale_iterations_above_1024_px():
    options = Options(min_scale=1024, end_scale=2048, initial_iterations=10, iterations=5,
                      high_scale_iterations=2)
    assert total_iterations(options, Image.new("RGB", (64, 48))) == 10 + 2 * 2


def test_the_bar_counts_iterations_across_scales_of_different_lengths():
    options = Options(min_scale=45, end_scale=64, initial_iterations=4, iterations=2)
    bar = ProgressBar(total_iterations(options, Image.new("RGB", (8, 6))))
    try:
        assert bar.bar.total == 6
        bar.show(Queued(job_id="j", position=2))
        assert bar.bar.desc.startswith("queued (position 2)")
        bar.show(progress(0, 1, 4))
        bar.show(progress(0, 4, 4))  # a throttled stream skips iterations; the count does not
        assert bar.bar.n == 4
        bar.show(progress(1, 1, 2))
        assert bar.bar.n == 5 and bar.bar.desc.startswith("scale 2/2 (64×48)")
        bar.show(Done(job_id="j", image=ImageData(1, 1, 3, "u8", bytes(3))))
        assert bar.bar.n == 6
    finally:
        bar.close()


def test_the_faces_note_counts_the_faces_held_and_those_the_report_flags() -> None:
    def metadata(found: int, flagged: int) -> dict:
        fidelity = [{"texture_exceeds": k < flagged} for k in range(found)]
        return {"faces": {"terms": {"scales": [{"faces": []}, {"faces": [{}] * found}]},
                          "fidelity": fidelity}}

    assert faces_note(metadata(2, 0)) == "; face terms on 2 faces"
    assert faces_note(metadata(3, 1)) == ("; face terms on 3 faces, 1 with more fine texture "
                                          "than the photo")
    assert faces_note(metadata(0, 0)) == "; no face found: face terms off"
    assert faces_note({"faces": {"terms": {"enabled": False}}}) == ""
    assert faces_note({}) == ""
