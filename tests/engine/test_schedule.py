"""Coarse to fine (docs/engine.md, The method): scales, sizes, Adam warm starts and the
iterate average."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from backend.engine.schedule import (
    IterateAverage,
    job_scales,
    rescale_adam_state,
    scale_iterations,
    scale_ladder,
    size_to_fit,
)
from shared.options import Options


def test_scale_ladder_from_128_to_512_is_the_documented_one() -> None:
    assert scale_ladder(128, 512) == [128, 181, 256, 362, 512]


@pytest.mark.parametrize(("min_scale", "end_scale"), [(64, 1000), (100, 300), (32, 8192)])
def test_scale_ladder_halves_the_area_at_each_step_down(min_scale: int, end_scale: int) -> None:
    expected, i = set(), 0
    while (scale := round(end_scale / 2 ** (i / 2))) >= min_scale:
        expected.add(scale)
        i += 1
    ladder = scale_ladder(min_scale, end_scale)
    assert ladder == sorted(expected)
    assert ladder[-1] == end_scale and ladder[0] >= min_scale


def test_scale_ladder_with_equal_bounds_is_one_scale() -> None:
    assert scale_ladder(64, 64) == [64]


def test_end_scale_zero_ends_the_ladder_at_the_contents_long_side() -> None:
    options = Options(min_scale=128, end_scale=0)
    assert job_scales(options, (3000, 2000)) == scale_ladder(128, 3000)
    assert job_scales(options, (90, 120)) == [120]


def test_high_scale_iterations_apply_above_1024_px_after_the_first_scale() -> None:
    options = Options(initial_iterations=1000, iterations=500, high_scale_iterations=80)
    assert scale_iterations(options, [724, 1024, 1448, 2048]) == [1000, 500, 80, 80]
    assert scale_iterations(options, [1448, 2048]) == [1000, 80]


def test_without_high_scale_iterations_scales_above_1024_px_have_at_most_100() -> None:
    assert scale_iterations(Options(), [128, 181, 1024, 1448]) == [1000, 500, 500, 100]
    assert scale_iterations(Options(iterations=40), [724, 1448, 2048]) == [1000, 40, 40]


def test_the_default_ladder_to_512_px_keeps_crowsons_iterations() -> None:
    assert scale_iterations(Options(), [128, 181, 256, 362, 512]) == [1000] + [500] * 4


def test_scale_ladder_stops_before_going_under_min_scale() -> None:
    assert scale_ladder(182, 512) == [256, 362, 512]


@pytest.mark.parametrize(("size", "max_dim", "expected"), [
    ((640, 480), 512, (512, 384)),      # landscape
    ((480, 640), 512, (384, 512)),      # portrait
    ((300, 300), 128, (128, 128)),      # square
    ((1000, 333), 512, (512, round(512 * 333 / 1000))),
    ((333, 1000), 181, (round(181 * 333 / 1000), 181)),
])
def test_size_to_fit_puts_the_long_side_at_max_dim(size: tuple[int, int], max_dim: int,
                                                   expected: tuple[int, int]) -> None:
    assert size_to_fit(size, max_dim) == expected
    assert size_to_fit(size, max_dim, scale_up=True) == expected


def test_size_to_fit_without_scale_up_keeps_a_small_image() -> None:
    assert size_to_fit((200, 100), 512) == (200, 100)
    assert size_to_fit((512, 100), 512) == (512, 100)


def test_size_to_fit_with_scale_up_enlarges_a_small_image() -> None:
    assert size_to_fit((200, 100), 512, scale_up=True) == (512, 256)
    assert size_to_fit((90, 160), 512, scale_up=True) == (288, 512)


def _adam_state_after_steps(size: tuple[int, int], steps: int = 3) -> tuple[torch.Tensor, dict]:
    generator = torch.Generator().manual_seed(0)
    image = torch.rand(1, 3, *size, generator=generator, requires_grad=True)
    target = torch.rand(1, 3, *size, generator=generator)
    optimizer = torch.optim.Adam([image], lr=0.02)
    for _ in range(steps):
        optimizer.zero_grad()
        ((image - target) ** 3).sum().backward()
        optimizer.step()
    return image, optimizer.state_dict()


def test_adam_first_moment_is_resized_bicubic() -> None:
    _, state = _adam_state_after_steps((8, 10))
    rescaled = rescale_adam_state(state, (11, 14))
    before = state["state"][0]["exp_avg"]
    after = rescaled["state"][0]["exp_avg"]
    assert after.shape == (1, 3, 11, 14)
    torch.testing.assert_close(after, F.interpolate(before, (11, 14), mode="bicubic"))
    assert not torch.allclose(after, F.interpolate(before, (11, 14), mode="bilinear"))


def test_adam_second_moment_is_resized_bilinear() -> None:
    _, state = _adam_state_after_steps((8, 10))
    rescaled = rescale_adam_state(state, (11, 14))
    before = state["state"][0]["exp_avg_sq"]
    after = rescaled["state"][0]["exp_avg_sq"]
    torch.testing.assert_close(after, F.interpolate(before, (11, 14), mode="bilinear"))
    assert (after >= 0).all()


def test_adam_second_moment_is_clamped_at_zero() -> None:
    _, state = _adam_state_after_steps((8, 8))
    # A second moment cannot be negative; one that is (rounding, a foreign state) must not
    # survive the resize, or Adam would take the square root of it.
    state["state"][0]["exp_avg_sq"] = torch.linspace(-1, 1, 3 * 64).reshape(1, 3, 8, 8)
    rescaled = rescale_adam_state(state, (12, 12))["state"][0]["exp_avg_sq"]
    assert rescaled.min().item() == 0.0
    assert rescaled.max().item() > 0.5


def test_adam_step_count_and_hyperparameters_are_kept() -> None:
    _, state = _adam_state_after_steps((8, 8), steps=4)
    rescaled = rescale_adam_state(state, (12, 12))
    assert int(rescaled["state"][0]["step"]) == 4
    assert rescaled["param_groups"] == state["param_groups"]


def test_rescaling_leaves_the_original_state_untouched() -> None:
    _, state = _adam_state_after_steps((8, 8))
    first = state["state"][0]["exp_avg"].clone()
    rescale_adam_state(state, (12, 12))
    assert torch.equal(state["state"][0]["exp_avg"], first)


def test_rescaled_state_warm_starts_adam_on_the_larger_iterate() -> None:
    _, state = _adam_state_after_steps((8, 8), steps=2)
    bigger = torch.zeros(1, 3, 12, 12, requires_grad=True)
    optimizer = torch.optim.Adam([bigger], lr=0.02)
    optimizer.load_state_dict(rescale_adam_state(state, (12, 12)))
    bigger.sum().backward()
    optimizer.step()
    assert int(optimizer.state_dict()["state"][0]["step"]) == 3
    assert torch.isfinite(bigger).all() and bigger.abs().sum() > 0


@pytest.mark.parametrize("updates", [1, 2, 10, 200])
def test_average_of_a_constant_is_that_constant_after_any_number_of_updates(updates: int) -> None:
    constant = torch.full((1, 3, 4, 4), 0.37)
    average = IterateAverage(constant, decay=0.99)
    for _ in range(updates - 1):
        average.update(constant)
    torch.testing.assert_close(average.get(), constant, rtol=1e-5, atol=1e-6)


def test_average_is_the_bias_corrected_exponential_moving_average() -> None:
    decay, k = 0.9, 25
    iterates = np.random.default_rng(1).random((k, 1, 3, 2, 2))
    average = IterateAverage(torch.from_numpy(iterates[0]).float(), decay)
    for x in iterates[1:]:
        average.update(torch.from_numpy(x).float())
    # v_k = Σ_j d^(k−j)·(1−d)·x_j, read as v_k / (1 − d^k).
    weights = np.array([decay ** (k - j) * (1 - decay) for j in range(1, k + 1)])
    expected = np.tensordot(weights, iterates, axes=1) / (1 - decay**k)
    np.testing.assert_allclose(average.get().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_average_with_zero_decay_is_the_latest_iterate() -> None:
    average = IterateAverage(torch.zeros(1, 3, 2, 2), decay=0.0)
    latest = torch.rand(1, 3, 2, 2)
    average.update(latest)
    torch.testing.assert_close(average.get(), latest)
