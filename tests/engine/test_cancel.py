"""Cancellation inside an iteration: every tensor operation asks the flag first, in the forward
and the backward pass, during a scale's set-up (style and content targets) and in the fidelity
report. The flag here is a callable that turns true at a chosen check, so each case is exact."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from backend.engine import Cancelled, stylize
from backend.engine.banded import BAND_MULTIPLY_ADDS, banded_convolution, banded_input_gradient
from backend.engine.cancel import band_work_for, cancel_points
from shared.options import Options

ONE_STEP = Options(face_weight=0, mesh_weight=0, min_scale=32, end_scale=32,
                   initial_iterations=1, iterations=1)


class CancelAtCheck:
    """False until its ``at``-th call (from 1), then True; counts every call."""

    def __init__(self, at: int | None = None) -> None:
        self.at = at
        self.calls = 0
        self.in_backward: list[bool] = []

    def __call__(self) -> bool:
        self.calls += 1
        self.in_backward.append(torch._C._current_autograd_node() is not None)
        return self.at is not None and self.calls >= self.at


@pytest.fixture(scope="module")
def images() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return ((rng.random((24, 32, 3)) * 255).astype(np.uint8),
            (rng.random((32, 32, 3)) * 255).astype(np.uint8))


@pytest.fixture(scope="module")
def never_set(models, images) -> CancelAtCheck:
    """The flag of one job of ONE_STEP that is never set, with its record of the checks (after
    a first job has loaded the models, which asks too)."""
    stylize(images[0], [images[1]], options=ONE_STEP, models=models)
    counter = CancelAtCheck()
    stylize(images[0], [images[1]], options=ONE_STEP, models=models, cancel=counter)
    return counter


@pytest.fixture(scope="module")
def checks_per_job(never_set) -> int:
    """How many times one job of ONE_STEP asks the flag."""
    return never_set.calls


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


def test_a_cancel_during_the_backward_pass_stops_it(models, images, never_set):
    in_backward = [at for at, backward in enumerate(never_set.in_backward, 1) if backward]
    assert len(in_backward) > len(models.vgg().model)  # at least one check per layer
    message, progress = run_until_cancelled(models, images, at=in_backward[len(in_backward) // 2])
    assert "backward" in message and progress == []


def test_a_cancel_stops_at_the_first_check_after_the_flag_is_set(models, images, checks_per_job):
    for at in (checks_per_job // 3, checks_per_job - 1):
        flag = CancelAtCheck(at)
        with pytest.raises(Cancelled):
            stylize(images[0], [images[1]], options=ONE_STEP, models=models, cancel=flag)
        assert flag.calls == at


def test_a_cancel_after_the_last_iteration_stops_the_fidelity_report(models, images,
                                                                      checks_per_job):
    message, progress = run_until_cancelled(models, images, at=checks_per_job)
    assert len(progress) == ONE_STEP.initial_iterations and "forward" in message


def test_asking_the_flag_leaves_the_result_bit_for_bit_unchanged(models, images):
    options = ONE_STEP.replace(initial_iterations=3)
    asked = stylize(images[0], [images[1]], options=options, models=models,
                    cancel=CancelAtCheck())
    unasked = stylize(images[0], [images[1]], options=options, models=models)
    assert np.array_equal(asked.pixels, unasked.pixels)


def test_the_layers_stop_asking_once_the_job_is_over(models, images):
    counter = CancelAtCheck()
    stylize(images[0], [images[1]], options=ONE_STEP, models=models, cancel=counter)
    after_the_job = counter.calls
    models.vgg()(torch.rand(1, 3, 32, 32))
    assert counter.calls == after_the_job



def features_and_gradient(models, image: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Every VGG-19 layer's activation of ``image`` and the gradient of their mean squares."""
    image = image.clone().requires_grad_()
    model = models.vgg()
    features = model(image, layers=list(model.model._modules))
    sum(feature.pow(2).mean() for feature in features.values()).backward()
    return [feature.detach() for feature in features.values()], image.grad


def test_crowsons_exact_method_is_never_banded_and_face_jobs_are():
    assert band_work_for(ONE_STEP) == 0
    assert band_work_for(ONE_STEP.replace(face_weight=0.25)) == BAND_MULTIPLY_ADDS > 0


def test_convolutions_in_bands_agree_with_the_whole_convolutions(models):
    image = torch.rand(1, 3, 96, 128, generator=torch.Generator().manual_seed(3))
    whole_features, whole_gradient = features_and_gradient(models, image)
    whole, banded = CancelAtCheck(), CancelAtCheck()
    with cancel_points(whole):
        features_and_gradient(models, image)
    with cancel_points(banded, band_work=10**6):  # every convolution in several bands
        banded_features, banded_gradient = features_and_gradient(models, image)
    assert banded.calls >= whole.calls + 3 * 2 * 3  # conv1_2 to conv2_2 in 3+ bands, both passes
    for banded_feature, whole_feature in zip(banded_features, whole_features, strict=True):
        torch.testing.assert_close(banded_feature, whole_feature, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(banded_gradient, whole_gradient, rtol=1e-5, atol=1e-9)


def test_a_large_convolution_asks_between_its_bands_and_stops_there():
    generator = torch.Generator().manual_seed(4)
    input = torch.rand(1, 16, 64, 24, generator=generator)
    weight = torch.rand(16, 16, 3, 3, generator=generator)
    args = (input, weight, None, [1, 1], [1, 1], [1, 1], False, [0, 0], 1)
    work = 64 * 24 * 16 * 16 * 9
    asked = CancelAtCheck()
    banded = banded_convolution(args, asked, band_work=work // 4)
    assert asked.calls == 4
    torch.testing.assert_close(banded, torch.ops.aten.convolution(*args))
    gradient_args = (torch.rand(1, 16, 64, 24, generator=generator), input, weight, None,
                     [1, 1], [1, 1], [1, 1], False, [0, 0], 1, [True, False, False])
    asked = CancelAtCheck()
    banded = banded_input_gradient(gradient_args, asked, band_work=work // 3)[0]
    assert asked.calls == 3
    torch.testing.assert_close(banded, torch.ops.aten.convolution_backward(*gradient_args)[0])

    def stop_at_the_third_band() -> None:
        if stop.calls == 3:
            raise Cancelled("third band")

    stop = CancelAtCheck()
    with pytest.raises(Cancelled):
        banded_convolution(args, lambda: (stop(), stop_at_the_third_band()), work // 4)
    assert banded_convolution(args, asked, band_work=work) is None  # small: run whole


def test_jobs_off_the_cpu_are_asked_per_iteration_only():
    flag = CancelAtCheck()
    with cancel_points(flag, device="meta"):
        torch.ones(2, device="meta").add(1)
    with cancel_points(flag):
        torch.ones(2).add(1)
    assert flag.calls == 2  # the CPU's two operations only
