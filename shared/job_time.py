"""How long a job takes, roughly: before it starts (on a CPU) and while it runs (any device).

The engine's work per iteration grows with the pixels painted, so a job's work is counted in
megapixel-iterations over its :func:`shared.schedule.scale_plan`. Before a job starts on a CPU,
a rate measured on this project's benchmark machine gives a rough duration; once iterations
come in, the rate actually observed takes over. Pure Python.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from shared.options import Options
from shared.schedule import ScaleStep

# Rough, for a 2-core CPU like this project's machine (bench/RESULTS.md). One thread spends about
# 17 s per iteration per megapixel: 0.96 s at 256 px (14.7 s/MP), 4.9 s at 512 px (18.7), 18.5 s
# at 1024 px in 512-px tiles (17.6) ("Engine speed (cpu, style only)", CPU time on 1 thread), and
# two threads are about 1.8 times as fast ("Threads on a busy machine": 871 ms on one thread,
# 479-490 ms on two at 256 px). (It was 50 s/MP, from elapsed times on an overloaded machine.)
CPU_ONE_THREAD_SECONDS_PER_MEGAPIXEL = 17.0
CPU_TWO_THREAD_SPEEDUP = 1.8
CPU_SECONDS_PER_MEGAPIXEL = CPU_ONE_THREAD_SECONDS_PER_MEGAPIXEL / CPU_TWO_THREAD_SPEEDUP
# The face terms (FaceNet and FaceMesh on fixed-size face crops) add a fixed time per iteration
# whatever the size: 88-97 ms on one thread ("Where an iteration's time goes"), about half on two.
CPU_FACE_SECONDS_PER_ITERATION = 0.05
# The demo's short CPU ladder: about a minute rather than the half hour or more Crowson's
# defaults take on a CPU.
CPU_FIRST_RUN = {"end_scale": 256, "initial_iterations": 100, "iterations": 50}


def work(plan: Sequence[ScaleStep]) -> float:
    """A job's work in megapixel-iterations."""
    return sum(step.width * step.height * step.iterations for step in plan) / 1e6


def work_done(plan: Sequence[ScaleStep], scale_index: int, iteration: int) -> float:
    """The work behind a job that has finished ``iteration`` of scale ``scale_index``."""
    step = plan[scale_index]
    return work(plan[:scale_index]) + step.width * step.height * iteration / 1e6


def seconds_per_megapixel(device: str) -> float | None:
    """The rough rate known before a job starts: the benchmark's on a CPU, else None."""
    return CPU_SECONDS_PER_MEGAPIXEL if device == "cpu" else None


def rough_seconds(plan: Sequence[ScaleStep], device: str, faces: bool = True,
                  threads: int = 2) -> float | None:
    """A rough duration in seconds before the job starts: on a CPU :data:`CPU_SECONDS_PER_
    MEGAPIXEL` times the plan's megapixel-iterations, plus :data:`CPU_FACE_SECONDS_PER_
    ITERATION` per iteration when the face terms are on (``faces``; a portrait has a face);
    elsewhere unknown (None) until iterations are timed. bf16 on a CPU with AMX (a preset) is
    faster than this says (bench/RESULTS.md, "Engine vs reference"). ``threads``: the CPU
    threads the job will compute with (≥ 1); one thread takes :data:`CPU_TWO_THREAD_SPEEDUP`
    times as long as two (more than two were not measured, and are counted as two)."""
    rate = seconds_per_megapixel(device)
    if rate is None:
        return None
    iterations = sum(step.iterations for step in plan)
    seconds = work(plan) * rate + (CPU_FACE_SECONDS_PER_ITERATION * iterations if faces else 0.0)
    return seconds * (CPU_TWO_THREAD_SPEEDUP if threads < 2 else 1.0)


class TimeLeft:
    """The time a running job still needs: from the rate its iterations have shown so far, or
    before that from ``prior`` (seconds per megapixel-iteration; None: unknown)."""

    def __init__(self, plan: Sequence[ScaleStep], prior: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.plan, self.prior, self.clock = list(plan), prior, clock
        self._start: tuple[float, float] | None = None  # (time, work done) at the first report

    def update(self, scale_index: int, iteration: int) -> float | None:
        """Seconds left after ``iteration`` of scale ``scale_index`` (None while unknown)."""
        now, done = self.clock(), work_done(self.plan, scale_index, iteration)
        rate = self.prior
        if self._start is None:
            self._start = (now, done)
        elif done > self._start[1] and now > self._start[0]:
            rate = (now - self._start[0]) / (done - self._start[1])
        return None if rate is None else (work(self.plan) - done) * rate


def duration_text(seconds: float) -> str:
    """``about 40 s``, ``about 12 min``, ``about 2.5 h``."""
    if seconds < 90:
        return f"about {max(round(seconds / 10) * 10, 10):.0f} s"
    if seconds < 90 * 60:
        return f"about {round(seconds / 60):.0f} min"
    return f"about {seconds / 3600:.1f} h"


def first_run_options(device: str) -> Options:
    """Options for a first run, before the user has chosen any: on a CPU the short ladder of
    :data:`CPU_FIRST_RUN`, elsewhere the defaults at the content's own size (end_scale 0)."""
    return Options().replace(**CPU_FIRST_RUN) if device == "cpu" else Options(end_scale=0)
