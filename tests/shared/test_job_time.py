"""How long a job takes, roughly: the work of its ladder, the first run on a CPU, time left."""

from __future__ import annotations

import pytest

from shared.job_time import (
    CPU_FACE_SECONDS_PER_ITERATION,
    CPU_SECONDS_PER_MEGAPIXEL,
    TimeLeft,
    duration_text,
    first_run_options,
    rough_seconds,
    work,
    work_done,
)
from shared.options import Options
from shared.schedule import ScaleStep, scale_plan

PLAN = [ScaleStep(100, 100, 10), ScaleStep(200, 100, 5)]  # 0.1 + 0.1 megapixel-iterations


def test_the_plan_follows_the_engines_ladder():
    plan = scale_plan(Options(min_scale=128, end_scale=256, initial_iterations=100,
                              iterations=50), (64, 32))
    assert plan == [ScaleStep(128, 64, 100), ScaleStep(181, 90, 50), ScaleStep(256, 128, 50)]


def test_work_counts_pixels_times_iterations():
    assert work(PLAN) == pytest.approx(0.2)
    assert work_done(PLAN, 1, 0) == pytest.approx(0.1)
    assert work_done(PLAN, 1, 5) == pytest.approx(0.2)


def test_a_first_run_on_a_cpu_is_the_short_ladder_and_elsewhere_the_defaults_at_full_size():
    on_cpu = first_run_options("cpu")
    assert (on_cpu.end_scale, on_cpu.initial_iterations, on_cpu.iterations) == (256, 100, 50)
    assert first_run_options("cuda:0") == Options(end_scale=0)


def test_the_full_defaults_on_a_cpu_take_half_an_hour_and_the_first_run_minutes():
    portrait = (768, 1024)
    full = rough_seconds(scale_plan(Options(), portrait), "cpu")
    short = rough_seconds(scale_plan(first_run_options("cpu"), portrait), "cpu")
    assert 20 * 60 < full < 60 * 60 and 30 < short < 5 * 60
    assert rough_seconds(scale_plan(Options(), portrait), "cuda:0") is None


# bench/RESULTS.md, "Engine speed (cpu, style only)": seconds per iteration on one thread (CPU
# time), astronaut at size × size; "Threads on a busy machine": two threads 1.8 times as fast.
MEASURED_ONE_THREAD = {256: 0.9625, 512: 4.8918, 1024: 18.4776}
TWO_THREADS_SPEED_UP = 1.8


@pytest.mark.parametrize(("size", "seconds"), MEASURED_ONE_THREAD.items())
def test_the_cpu_rate_is_within_a_quarter_of_the_measured_iterations(size, seconds):
    estimate = rough_seconds([ScaleStep(size, size, 1)], "cpu", faces=False)
    assert estimate == pytest.approx(seconds / TWO_THREADS_SPEED_UP, rel=0.25)


@pytest.mark.parametrize(("size", "seconds"), MEASURED_ONE_THREAD.items())
def test_one_thread_is_estimated_at_the_one_thread_rate(size, seconds):
    # Left over from issue 15: the estimate assumed two free threads even with --threads 1.
    estimate = rough_seconds([ScaleStep(size, size, 1)], "cpu", faces=False, threads=1)
    assert estimate == pytest.approx(seconds, rel=0.25)


def test_one_thread_takes_longer_than_two_with_the_face_terms_too():
    plan = [ScaleStep(256, 256, 100), ScaleStep(512, 512, 50)]
    one, two = rough_seconds(plan, "cpu", threads=1), rough_seconds(plan, "cpu", threads=2)
    assert one == pytest.approx(two * TWO_THREADS_SPEED_UP, rel=0.1)
    assert rough_seconds(plan, "cpu", threads=8) == two  # more than two were not measured


def test_the_face_terms_add_a_fixed_time_per_iteration():
    plan = [ScaleStep(256, 256, 100), ScaleStep(512, 512, 50)]
    assert rough_seconds(plan, "cpu") - rough_seconds(plan, "cpu", faces=False) == (
        pytest.approx(150 * CPU_FACE_SECONDS_PER_ITERATION))
    assert 0.03 < CPU_FACE_SECONDS_PER_ITERATION < 0.1  # 88-97 ms on one thread, measured


def test_a_default_job_to_512_px_takes_the_40_to_60_minutes_seen_on_this_cpu():
    # Issue 15: a full default job (1000 + 4 × 500 iterations up to 512 px) took 40-60 min.
    assert 40 * 60 <= rough_seconds(scale_plan(Options(), (512, 512)), "cpu") <= 60 * 60


def test_time_left_starts_from_the_prior_rate_and_then_follows_the_measured_one():
    now = [0.0]
    left = TimeLeft(PLAN, prior=CPU_SECONDS_PER_MEGAPIXEL, clock=lambda: now[0])
    assert left.update(0, 1) == pytest.approx((0.2 - 0.01) * CPU_SECONDS_PER_MEGAPIXEL)
    now[0] = 9.0  # 9 more iterations of 0.01 megapixels in 9 s: 100 s per megapixel
    assert left.update(0, 10) == pytest.approx(0.1 * 100)


def test_time_left_is_unknown_without_a_prior_until_it_is_measured():
    now = [5.0]
    left = TimeLeft(PLAN, clock=lambda: now[0])
    assert left.update(0, 1) is None
    now[0] = 6.0
    assert left.update(0, 2) == pytest.approx(0.18 * 100)


@pytest.mark.parametrize("seconds, text", [(4, "about 10 s"), (44, "about 40 s"),
                                           (600, "about 10 min"), (9000, "about 2.5 h")])
def test_durations_read_roughly(seconds, text):
    assert duration_text(seconds) == text
