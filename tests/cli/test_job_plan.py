"""The CLI's line before a job (scales, tile, memory, rough time) and a time left that follows
the work of the ladder's scales rather than their iteration count."""

from __future__ import annotations

import torch

from backend.cli.common import ProgressBar
from backend.cli.job_plan import plan_text
from backend.engine.memory import available_bytes, estimate_peak_bytes, plan_tile_size
from shared.job_time import duration_text, rough_seconds
from shared.messages import Progress
from shared.options import Options
from shared.schedule import ScaleStep, scale_plan

CPU = torch.device("cpu")
STYLE = [(512, 512)]


def test_a_full_resolution_job_names_its_size_tile_memory_and_rough_time() -> None:
    options = Options(end_scale=0)
    line = plan_text(options, (1600, 1200), STYLE, CPU)
    tile = plan_tile_size(options, (1600, 1200), STYLE, CPU, available_bytes(CPU))
    peak = estimate_peak_bytes(options.replace(tile_size=tile), (1600, 1200), STYLE, CPU)
    seconds = rough_seconds(scale_plan(options, (1600, 1200)), "cpu")
    assert 0 < tile < 1600
    assert line == (f"{len(scale_plan(options, (1600, 1200)))} scales up to 1600x1200 in "
                    f"{tile}-px tiles; peak memory about {peak / 1e9:.1f} GB above the models; "
                    f"{duration_text(seconds)} on this CPU, 2 threads (rough)")


def test_the_rough_time_follows_the_threads_the_job_computes_with() -> None:
    options = Options(end_scale=0)
    one = plan_text(options, (1600, 1200), STYLE, CPU, threads=1)
    seconds = rough_seconds(scale_plan(options, (1600, 1200)), "cpu", threads=1)
    assert one.endswith(f"; {duration_text(seconds)} on this CPU, 1 thread (rough)")
    assert seconds > rough_seconds(scale_plan(options, (1600, 1200)), "cpu", threads=2)


def test_an_untiled_job_names_no_tile_and_one_scale_is_singular() -> None:
    line = plan_text(Options(min_scale=256, end_scale=256), (256, 192), STYLE, CPU)
    assert line.startswith("1 scale up to 256x192; peak memory about ")
    assert "tiles" not in line


def test_a_job_the_planner_refuses_gets_no_line() -> None:
    # tile_size 0 at 8192 px cannot fit the memory this machine has
    assert plan_text(Options(end_scale=8192, tile_size=0), (8192, 6144), STYLE, CPU) == ""


def progress(scale_index: int, iteration: int, iterations: int, side: int) -> Progress:
    return Progress(job_id="j", scale_index=scale_index, n_scales=2, width=side, height=side,
                    iteration=iteration, iterations=iterations, losses={"total": 0.5},
                    fraction=0.0)


def test_the_time_left_counts_a_large_scale_for_its_pixels() -> None:
    # 10 iterations at 100 px then 10 at 1000 px: after the first scale half of the iterations
    # are done but about 1 % of the work, so the time left is about 99 times the time so far.
    plan = [ScaleStep(100, 100, 10), ScaleStep(1000, 1000, 10)]
    clock = iter([0.0, 1.0])
    bar = ProgressBar(20, plan, prior=None)
    bar.time_left.clock = lambda: next(clock)
    try:
        bar.show(progress(0, 0, 10, 100))  # the first report starts the clock
        assert "left" not in bar.bar.postfix  # no rate yet, no prior
        bar.show(progress(0, 10, 10, 100))  # 0.1 MP-iterations took 1 s
        left = (10 * 1.0) / 0.1  # 10 MP-iterations to go at 10 s per MP-iteration
        assert f"left={duration_text(left)}" in bar.bar.postfix
        assert bar.bar.n == 10
    finally:
        bar.close()


def test_the_bar_shows_no_time_left_once_the_last_iteration_is_in() -> None:
    # A new user saw "left=about 10 s" at 50/50 (the rough duration's least figure).
    plan = [ScaleStep(100, 100, 10)]
    clock = iter([0.0, 1.0, 2.0])
    bar = ProgressBar(10, plan, prior=None)
    bar.time_left.clock = lambda: next(clock)
    try:
        bar.show(progress(0, 0, 10, 100))
        bar.show(progress(0, 5, 10, 100))
        assert "left=" in bar.bar.postfix
        bar.show(progress(0, 10, 10, 100))
        assert "left" not in bar.bar.postfix and bar.bar.n == 10
    finally:
        bar.close()


def test_the_bar_shows_the_scale_label_followed_by_one_colon() -> None:
    bar = ProgressBar(20, [ScaleStep(100, 100, 10), ScaleStep(200, 200, 10)], prior=None)
    try:
        bar.show(progress(0, 3, 10, 100))
        line = str(bar.bar)
        assert line.startswith("scale 1/2 (100×100):  15%"), line
        assert "): :" not in line
    finally:
        bar.close()


def test_a_note_is_a_line_of_its_own_above_the_bar(capsys) -> None:
    bar = ProgressBar(20, [ScaleStep(100, 100, 20)], prior=None)
    try:
        bar.note("portrait-stylize: submitted job j to tcp://127.0.0.1:5555")
    finally:
        bar.close()
    lines = capsys.readouterr().err.replace("\r", "\n").splitlines()
    assert "portrait-stylize: submitted job j to tcp://127.0.0.1:5555" in lines
