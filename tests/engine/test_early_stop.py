"""Stopping a scale once its loss has stopped falling (the ``early_stop`` option, off by
default)."""

from __future__ import annotations

import pytest
import torch
from PIL import Image

from backend.engine import ProgressEvent, stylize
from backend.engine.schedule import EarlyStop
from backend.models.bundle import ModelBundle
from shared.options import EARLY_STOP_WINDOW, Options
from tests.photos import photo


def feed(stop: EarlyStop, losses: list[float]) -> int | None:
    """The 1-based iteration at which ``stop`` settles on ``losses``, or None."""
    for i, loss in enumerate(losses, 1):
        if stop.settled(torch.tensor(loss)):
            return i
    return None


def test_a_loss_that_keeps_falling_never_settles() -> None:
    assert feed(EarlyStop(0.01, window=5), [0.9**i for i in range(100)]) is None


def test_a_flat_loss_settles_after_two_windows() -> None:
    assert feed(EarlyStop(0.01, window=5), [1.0] * 30) == 10


def test_a_loss_settles_once_its_fall_over_a_window_drops_below_the_tolerance() -> None:
    losses = [1.0 - 0.05 * i for i in range(10)] + [0.5] * 20  # falls, then flat
    assert feed(EarlyStop(0.01, window=5), losses) == 20


def test_tolerance_zero_never_stops_and_never_reads_the_loss() -> None:
    stop = EarlyStop(0.0, window=1)
    assert not any(stop.settled(None) for _ in range(10))  # type: ignore[arg-type]


def test_a_job_with_early_stop_ends_each_scale_when_it_settles(models: ModelBundle) -> None:
    content = photo("astronaut").resize((48, 48), Image.LANCZOS)
    style = photo("gravel").resize((48, 48), Image.LANCZOS)
    planned = 4 * EARLY_STOP_WINDOW
    options = Options(face_weight=0, mesh_weight=0, min_scale=32, end_scale=45,
                      initial_iterations=planned, iterations=planned, early_stop=0.5)
    events: list[ProgressEvent] = []
    result = stylize(content, [style], options=options, models=models,
                     on_progress=events.append)
    ran = result.metadata["iterations_run"]
    assert all(2 * EARLY_STOP_WINDOW <= n < planned for n in ran), ran
    assert [e.iteration for e in events if e.scale_index == 0][-1] == ran[0]


def test_without_early_stop_every_planned_iteration_runs(models: ModelBundle) -> None:
    content = photo("astronaut").resize((48, 48), Image.LANCZOS)
    options = Options(face_weight=0, mesh_weight=0, min_scale=32, end_scale=45,
                      initial_iterations=3, iterations=2)
    result = stylize(content, [photo("gravel")], options=options, models=models)
    assert result.metadata["iterations_run"] == [3, 2]


@pytest.mark.parametrize("value", [-0.1, 0.6])
def test_early_stop_outside_zero_to_one_half_is_refused(value: float) -> None:
    with pytest.raises(ValueError, match="early_stop"):
        Options(early_stop=value)
