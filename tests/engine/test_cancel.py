"""Cancellation inside an iteration: VGG-19's layers check the flag in the forward and the
backward pass, and during a scale's set-up (style and content targets). The flag here is a
callable that turns true at a chosen check, so each case is exact."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from backend.engine import Cancelled, stylize
from shared.options import Options

ONE_STEP = Options(face_weight=0, mesh_weight=0, min_scale=32, end_scale=32,
                   initial_iterations=1, iterations=1)


class CancelAtCheck:
    """False until its ``at``-th call (from 1), then True; counts every call."""

    def __init__(self, at: int | None = None) -> None:
        self.at = at
        self.calls = 0

    def __call__(self) -> bool:
        self.calls += 1
        return self.at is not None and self.calls >= self.at


@pytest.fixture(scope="module")
def images() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return ((rng.random((24, 32, 3)) * 255).astype(np.uint8),
            (rng.random((32, 32, 3)) * 255).astype(np.uint8))


@pytest.fixture(scope="module")
def checks_per_job(models, images) -> int:
    """How many times one job of ONE_STEP asks the flag (it is never set)."""
    counter = CancelAtCheck()
    stylize(images[0], [images[1]], options=ONE_STEP, models=models, cancel=counter)
    return counter.calls


def run_until_cancelled(models, images, at: int) -> tuple[str, list]:
    progress: list = []
    with pytest.raises(Cancelled) as caught:
        stylize(images[0], [images[1]], options=ONE_STEP, models=models,
                cancel=CancelAtCheck(at), on_progress=progress.append)
    return str(caught.value), progress


def test_the_flag_is_asked_at_every_layer_not_only_once_per_iteration(checks_per_job, models):
    layers = len(models.vgg().model)
    assert checks_per_job > 2 * layers


def test_a_cancel_during_the_set_up_stops_in_the_style_targets_forward(models, images):
    message, progress = run_until_cancelled(models, images, at=1)
    assert "forward" in message and progress == []


def test_a_cancel_during_the_backward_pass_stops_it(models, images, checks_per_job):
    message, progress = run_until_cancelled(models, images, at=checks_per_job)
    assert "backward" in message and progress == []


def test_the_layers_stop_asking_once_the_job_is_over(models, images):
    counter = CancelAtCheck()
    stylize(images[0], [images[1]], options=ONE_STEP, models=models, cancel=counter)
    after_the_job = counter.calls
    models.vgg()(torch.rand(1, 3, 32, 32))
    assert counter.calls == after_the_job
