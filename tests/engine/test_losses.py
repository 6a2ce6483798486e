"""The loss terms (docs/engine.md, The method), each against its formula computed in float64
numpy."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch

from backend.engine.losses import (
    EPS,
    STYLE_LAYERS,
    ContentLoss,
    StyleLoss,
    TVLoss,
    gram,
    normalised,
    scaled_squared_error,
    total_variation,
)
from backend.models.vgg import layer_index
from shared.options import Options


def _random(shape: tuple[int, ...], seed: int) -> torch.Tensor:
    return torch.from_numpy(np.random.default_rng(seed).normal(size=shape).astype(np.float32))


def _numpy_sse(x: np.ndarray, t: np.ndarray) -> float:
    diff = x.astype(np.float64) - t.astype(np.float64)
    return float((diff**2).sum() / (np.abs(diff).sum() + EPS))


def _numpy_gram(features: np.ndarray) -> np.ndarray:
    c, h, w = features.shape[1:]
    matrix = features[0].reshape(c, h * w).astype(np.float64)
    return (matrix @ matrix.T / (h * w))[None]


def _numpy_tv(image: np.ndarray) -> float:
    padded = np.pad(image.astype(np.float64), ((0, 0), (0, 0), (0, 1), (0, 1)), mode="edge")
    dx = padded[..., :-1, 1:] - padded[..., :-1, :-1]
    dy = padded[..., 1:, :-1] - padded[..., :-1, :-1]
    return float((dx**2 + dy**2).mean())


def test_scaled_squared_error_is_sum_of_squares_over_sum_of_absolute_differences() -> None:
    x, t = _random((1, 8, 5, 7), 0), _random((1, 8, 5, 7), 1)
    assert scaled_squared_error(x, t).item() == pytest.approx(_numpy_sse(x.numpy(), t.numpy()),
                                                              rel=1e-5)


def test_scaled_squared_error_of_equal_tensors_is_zero_not_nan() -> None:
    x = _random((1, 3, 4, 4), 2).requires_grad_()
    loss = scaled_squared_error(x, x.detach().clone())
    loss.backward()
    assert loss.item() == 0.0
    assert torch.isfinite(x.grad).all()


def test_scaled_squared_error_gradient_matches_its_analytic_form() -> None:
    # d/dx Σd²/S = 2d/S − Σd²·sign(d)/S², with S = Σ|d|.
    x, t = _random((2, 3, 6, 6), 3).requires_grad_(), _random((2, 3, 6, 6), 4)
    scaled_squared_error(x, t).backward()
    diff = x.detach().numpy().astype(np.float64) - t.numpy().astype(np.float64)
    s, q = np.abs(diff).sum() + EPS, (diff**2).sum()
    expected = 2 * diff / s - q * np.sign(diff) / s**2
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-4, atol=1e-9)


def test_scaled_squared_error_gradient_has_unit_l1_norm_for_equal_size_differences() -> None:
    signs = torch.from_numpy(np.random.default_rng(5).choice([-1.0, 1.0], size=(1, 4, 8, 8)))
    for magnitude in (1e-3, 1.0, 1e3):
        x = torch.zeros(1, 4, 8, 8, dtype=torch.float64, requires_grad=True)
        scaled_squared_error(x, signs * magnitude).backward()
        assert x.grad.abs().sum().item() == pytest.approx(1.0, rel=1e-6)


def test_scaled_squared_error_gradient_does_not_depend_on_the_size_of_the_error() -> None:
    target = _random((1, 16, 6, 6), 6).double()
    norms = []
    for magnitude in (1e-3, 1.0, 1e3):
        x = torch.zeros_like(target, requires_grad=True)
        scaled_squared_error(x, target * magnitude).backward()
        norms.append(x.grad.abs().sum().item())
    assert norms == pytest.approx([norms[1]] * 3, rel=1e-6)
    assert 0.5 < norms[1] < 1.5


def test_gram_is_features_times_their_transpose_over_positions() -> None:
    features = _random((1, 6, 5, 9), 7)
    np.testing.assert_allclose(gram(features).numpy(), _numpy_gram(features.numpy()),
                               rtol=1e-5, atol=1e-6)


def test_gram_is_normalised_by_positions_so_tiling_the_map_keeps_it() -> None:
    features = _random((1, 4, 5, 6), 8)
    tiled = features.repeat(1, 1, 3, 2)
    torch.testing.assert_close(gram(tiled), gram(features), rtol=1e-5, atol=1e-6)


def test_gram_of_a_batch_is_one_matrix_per_item() -> None:
    batch = _random((3, 4, 5, 5), 9)
    grams = gram(batch)
    assert grams.shape == (3, 4, 4)
    torch.testing.assert_close(grams[1], gram(batch[1:2])[0])


def test_total_variation_matches_replicate_padded_formula() -> None:
    image = torch.rand(1, 3, 7, 9, generator=torch.Generator().manual_seed(10))
    assert total_variation(image).item() == pytest.approx(_numpy_tv(image.numpy()), rel=1e-5)


def test_total_variation_of_a_ramp_counts_no_step_across_the_replicated_edge() -> None:
    # A ramp rising by `step` per column: W−1 columns differ by `step`, the padded last one by 0.
    h, w, step = 4, 8, 0.1
    ramp = (torch.arange(w, dtype=torch.float64) * step).expand(1, 3, h, w)
    assert total_variation(ramp).item() == pytest.approx(step**2 * (w - 1) / w, rel=1e-9)
    assert total_variation(ramp.transpose(2, 3)).item() == pytest.approx(
        step**2 * (w - 1) / w, rel=1e-9)


def test_total_variation_of_a_constant_image_is_zero() -> None:
    assert total_variation(torch.full((1, 3, 5, 5), 0.3)).item() == 0.0


def test_normalised_divides_by_the_sum_of_absolute_values() -> None:
    assert normalised([3.0, 1.0]) == pytest.approx([0.75, 0.25])
    assert normalised([2.0, -1.0, 1.0]) == pytest.approx([0.5, -0.25, 0.25])


def _objective(content_weight: float, tv_weight: float,
               seed: int = 11) -> tuple[Callable[[dict], dict], dict, dict]:
    channels = dict(zip(STYLE_LAYERS, (4, 5, 3, 6, 2), strict=True))
    style_targets = {layer: gram(_random((1, c, 4, 4), seed + layer_index(layer)))
                     for layer, c in channels.items()}
    content_targets = {"relu4_2": _random((1, 3, 4, 4), seed)}
    feats = {layer: _random((1, c, 4, 4), seed + 100 + layer_index(layer))
             for layer, c in channels.items()}
    feats["relu4_2"] = _random((1, 3, 4, 4), seed + 50)
    feats["input"] = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(seed))
    terms = [(ContentLoss(content_weight), content_targets),
             (StyleLoss([], [], Options()), style_targets), (TVLoss(tv_weight), {})]

    def objective(features: dict) -> dict:
        return {name: value for term, targets in terms
                for name, value in term.losses(features, targets).items()}

    return objective, feats, {"content": content_targets, "style": style_targets}


def test_style_layer_weights_are_256_64_16_4_1_normalised_to_sum_one() -> None:
    term = StyleLoss([], [], Options())
    weights = [term.layer_weights[layer].item() for layer in STYLE_LAYERS]
    assert weights == pytest.approx([w / 341 for w in (256, 64, 16, 4, 1)])
    assert sum(weights) == pytest.approx(1.0)


def test_objective_terms_are_the_weighted_losses() -> None:
    content_weight, tv_weight = 0.015, 2.0
    objective, feats, targets = _objective(content_weight, tv_weight)
    terms = objective(feats)
    assert set(terms) == {"content", "style", "tv"}
    expected_content = content_weight * _numpy_sse(feats["relu4_2"].numpy(),
                                                   targets["content"]["relu4_2"].numpy())
    layer_weights = np.array([256, 64, 16, 4, 1], dtype=np.float64) / 341
    expected_style = sum(
        w * _numpy_sse(_numpy_gram(feats[layer].numpy()), targets["style"][layer].numpy())
        for w, layer in zip(layer_weights, STYLE_LAYERS, strict=True))
    expected_tv = tv_weight * _numpy_tv(feats["input"].numpy())
    assert terms["content"].item() == pytest.approx(expected_content, rel=1e-5)
    assert terms["style"].item() == pytest.approx(expected_style, rel=1e-5)
    assert terms["tv"].item() == pytest.approx(expected_tv, rel=1e-5)


def test_content_weight_is_shared_among_content_layers() -> None:
    objective = ContentLoss(content_weight=0.5, layers=("relu4_1", "relu4_2"))
    assert [w.item() for w in objective.layer_weights.values()] == [0.25, 0.25]
