"""How many CPU threads torch computes with: a fixed count, or ``auto``, which follows the
cores other processes leave free (docs/engine.md, Threads).

Why: torch splits each operation evenly over its threads and waits for the last. With two
threads on two cores and one other busy process, one thread shares its core, every operation
waits for it, and an iteration takes longer than on one thread alone (bench/RESULTS.md,
Threads). ``auto`` measures, over the last second or so, how much CPU other processes used
(``/proc/stat`` of the cores this process may run on, less its own CPU time) and computes with
the cores left: all of them on a quiet machine, one fewer for each core kept busy beside it.

Torch's thread count belongs to the thread that sets it (OpenMP's setting is per thread), so
:meth:`ThreadPolicy.apply` is called by the thread that computes, before each iteration.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import torch

AUTO = "auto"
WINDOW_S = 1.0  # the shortest span over which other processes' load is measured
FIRST_SAMPLE_S = 0.2  # the span of the measurement a job starts with
BUSY_FIELDS = (0, 1, 2, 5, 6, 7)  # user, nice, system, irq, softirq, steal


class ThreadsError(ValueError):
    """A thread setting that is neither a positive whole number nor ``auto``."""


def parse_threads(text: str | int) -> int | str:
    """``"auto"`` or a whole number ≥ 1 (as text or int); ThreadsError otherwise."""
    if isinstance(text, str) and text.strip().lower() == AUTO:
        return AUTO
    try:
        count = int(text)
    except (TypeError, ValueError):
        count = 0
    if count < 1:
        raise ThreadsError(f"threads must be a whole number of at least 1 or 'auto', got "
                           f"{text!r}")
    return count


def usable_cpus() -> int:
    """The cores this process may use: its CPU affinity, capped by a cgroup v2 CPU quota
    (``cpu.max``) when one is set, and by ``OMP_NUM_THREADS`` when that is set (a limit
    someone chose)."""
    cpus = len(os.sched_getaffinity(0))
    with contextlib.suppress(KeyError, ValueError):
        cpus = min(cpus, max(1, int(os.environ["OMP_NUM_THREADS"])))
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            cpus = min(cpus, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return cpus


@dataclass
class CpuSnapshot:
    """Busy clock ticks of the usable cores, this process's CPU seconds, and when."""

    busy_ticks: int
    own_s: float
    wall_s: float

    @classmethod
    def now(cls) -> CpuSnapshot:
        cores = {f"cpu{n}" for n in os.sched_getaffinity(0)}
        busy = 0
        with open("/proc/stat") as stat:
            for line in stat:
                name, *fields = line.split()
                if name in cores:
                    busy += sum(int(fields[i]) for i in BUSY_FIELDS if i < len(fields))
        times = os.times()
        return cls(busy, times.user + times.system, time.monotonic())

    def others_since(self, earlier: CpuSnapshot) -> float:
        """Cores other processes kept busy on average between ``earlier`` and this one."""
        span = self.wall_s - earlier.wall_s
        if span <= 0:
            return 0.0
        ticks_per_s = os.sysconf("SC_CLK_TCK")
        busy_s = (self.busy_ticks - earlier.busy_ticks) / ticks_per_s
        return max(0.0, busy_s - (self.own_s - earlier.own_s)) / span


def threads_for(cpus: int, others: float) -> int:
    """Threads for ``cpus`` usable cores of which other processes keep ``others`` busy: the
    cores left, rounded (a core counts as taken once others use more than half of it), at
    least 1."""
    return max(1, min(cpus, math.floor(cpus - others + 0.5)))


class ThreadPolicy:
    """``threads``: a whole number ≥ 1, or ``"auto"`` (the default). :meth:`apply` sets torch's
    thread count for the calling thread; with ``auto`` it re-decides from the load at most
    every :data:`WINDOW_S` seconds (a job starts with ``fresh=True``: a measurement of
    :data:`FIRST_SAMPLE_S` seconds, since the load may have changed while it waited).
    ``chosen`` is the count last set (0 before any)."""

    def __init__(self, threads: int | str = AUTO) -> None:
        self.setting = parse_threads(threads)
        self.cpus = usable_cpus()
        self.chosen = 0
        self._last: CpuSnapshot | None = None

    @property
    def auto(self) -> bool:
        return self.setting == AUTO

    def describe(self) -> str:
        """For health replies and logs: ``"2"`` or ``"auto (2 of 2 cores)"``."""
        if not self.auto:
            return str(self.setting)
        return f"auto ({self.chosen or self.cpus} of {self.cpus} cores)"

    def apply(self, fresh: bool = False) -> int:
        """Set torch's intra-op threads for the calling thread; returns the count."""
        count = self.setting if not self.auto else self._decide(fresh)
        if torch.get_num_threads() != count:
            torch.set_num_threads(count)
        self.chosen = count
        return count

    def _decide(self, fresh: bool) -> int:
        now = CpuSnapshot.now()
        if fresh or self._last is None:
            self._last = now
            time.sleep(FIRST_SAMPLE_S)  # a measurement, not a wait for anything
            now = CpuSnapshot.now()
        elif now.wall_s - self._last.wall_s < WINDOW_S:
            return self.chosen or self.cpus
        count = threads_for(self.cpus, now.others_since(self._last))
        self._last = now
        return count
