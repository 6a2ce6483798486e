"""CPU threads: the --threads setting, the auto policy's arithmetic, and the engine applying it."""

from __future__ import annotations

import threading

import pytest
import torch
from PIL import Image

from backend.cli.main import EXIT_USAGE, main
from backend.engine import stylize
from backend.models.bundle import ModelBundle
from backend.threads import (
    AUTO,
    CpuSnapshot,
    ThreadPolicy,
    ThreadsError,
    parse_threads,
    threads_for,
    usable_cpus,
)
from backend.weights import WeightsConfig
from shared.options import Options
from tests.photos import photo


@pytest.mark.parametrize(("text", "expected"), [("auto", AUTO), (" AUTO ", AUTO), ("3", 3),
                                                (2, 2)])
def test_threads_are_a_positive_count_or_auto(text: str | int, expected: int | str) -> None:
    assert parse_threads(text) == expected


@pytest.mark.parametrize("text", ["0", "-2", "two", "1.5", ""])
def test_other_thread_settings_are_refused_naming_the_choices(text: str) -> None:
    with pytest.raises(ThreadsError, match="at least 1 or 'auto'"):
        parse_threads(text)


def test_the_command_line_refuses_zero_threads_as_a_usage_error(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["stylize", "content.png", "style.png", "--threads", "0"])
    assert stop.value.code == EXIT_USAGE
    assert "--threads: threads must be a whole number of at least 1 or 'auto'" in \
        capsys.readouterr().err


@pytest.mark.parametrize(("cpus", "others", "threads"), [
    (2, 0.0, 2),   # quiet: every core
    (2, 0.4, 2),   # a neighbour using less than half a core leaves it to us
    (2, 0.7, 1),   # one busy neighbour (time-sliced beside two threads it gets ~2/3 of a core)
    (2, 1.0, 1),
    (2, 6.0, 1),   # never fewer than one
    (8, 2.6, 5),
])
def test_auto_computes_with_the_cores_others_leave(cpus: int, others: float,
                                                   threads: int) -> None:
    assert threads_for(cpus, others) == threads


def test_others_load_is_the_cores_busy_less_this_process(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    monkeypatch.setattr("os.sysconf", lambda name: 100)
    earlier = CpuSnapshot(busy_ticks=1000, own_s=10.0, wall_s=50.0)
    later = CpuSnapshot(busy_ticks=1300, own_s=11.0, wall_s=52.0)  # 3 s busy, 1 s ours, in 2 s
    assert later.others_since(earlier) == pytest.approx(1.0)


def test_omp_num_threads_caps_the_usable_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert usable_cpus() == 1
    assert ThreadPolicy(AUTO).apply(fresh=True) == 1


def test_a_fixed_count_is_set_in_the_thread_that_computes() -> None:
    seen = {}

    def compute() -> None:
        seen["applied"] = ThreadPolicy(1).apply()
        seen["torch"] = torch.get_num_threads()

    worker = threading.Thread(target=compute)
    worker.start()
    worker.join()
    assert seen == {"applied": 1, "torch": 1}


def test_the_engine_computes_with_the_bundles_threads_and_records_them() -> None:
    before = torch.get_num_threads()
    models = ModelBundle("cpu", WeightsConfig(allow_random=True), ThreadPolicy(1))
    options = Options(min_scale=64, end_scale=64, initial_iterations=2, face_weight=0,
                      mesh_weight=0)
    try:
        result = stylize(photo("astronaut").resize((64, 64), Image.LANCZOS),
                         [photo("gravel")], options=options, models=models)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    assert result.metadata["timings"]["threads"] == "1"
