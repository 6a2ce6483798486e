"""How long a job takes, roughly: the work of its ladder, the first run on a CPU, time left."""

from __future__ import annotations

import pytest

from shared.job_time import (
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


def test_the_full_defaults_on_a_cpu_are_hours_and_the_first_run_minutes():
    portrait = (768, 1024)
    full = rough_seconds(scale_plan(Options(), portrait), "cpu")
    short = rough_seconds(scale_plan(first_run_options("cpu"), portrait), "cpu")
    assert full > 3600 and 60 < short < 30 * 60
    assert rough_seconds(scale_plan(Options(), portrait), "cuda:0") is None


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
