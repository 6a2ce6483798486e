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

# Rough: bench/RESULTS.md, "Engine speed (cpu, style only)", 2 threads at low load: 0.655 s per
# iteration at 128 px (16 k pixels) and 3.7 s at 256 px (66 k pixels), 40-56 s per megapixel.
CPU_SECONDS_PER_MEGAPIXEL = 50.0
# The demo's short CPU ladder: minutes rather than the hours Crowson's defaults take on a CPU.
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


def rough_seconds(plan: Sequence[ScaleStep], device: str) -> float | None:
    """A rough duration before the job starts: on a CPU from the benchmark's rate, elsewhere
    unknown (None) until iterations are timed."""
    rate = seconds_per_megapixel(device)
    return None if rate is None else work(plan) * rate


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
