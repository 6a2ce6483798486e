"""Mixed precision of VGG-19's forward (docs/engine.md, Precision), exercised on the CPU: bf16
and fp16 autocast run there too. Closeness to fp32 is stated as PSNR of the output (at least
40 dB on these tiny runs; measured 62 dB for bf16 on 96 px over 40 iterations)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from PIL import Image

from backend.engine import stylize
from backend.engine.losses import STYLE_LAYERS, gram, scaled_squared_error
from backend.models.bundle import ModelBundle
from backend.models.precision import (
    autocast_dtype,
    fp16_gradient_scale,
    scale_gradient,
    vgg_precision,
)
from shared.options import Options
from tests.photos import photo

CPU = torch.device("cpu")
MIN_PSNR_DB = 40.0


def psnr(reference: np.ndarray, other: np.ndarray) -> float:
    mse = float(np.mean((reference.astype(np.float64) - other) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(1 / mse)


@pytest.fixture(scope="module")
def content() -> Image.Image:
    return photo("astronaut").resize((64, 64), Image.LANCZOS)


@pytest.fixture(scope="module")
def style() -> Image.Image:
    return photo("gravel").resize((64, 64), Image.LANCZOS)


def run(models: ModelBundle, content: Image.Image, style: Image.Image, precision: str):
    options = Options(face_weight=0, mesh_weight=0, min_scale=45, end_scale=64,
                      initial_iterations=6, iterations=4, precision=precision)
    return stylize(content, [style], options=options, models=models)


def test_auto_is_fp32_on_a_cpu_and_names_map_to_autocast_types() -> None:
    assert autocast_dtype("auto", CPU) is None
    assert autocast_dtype("fp32", CPU) is None
    assert autocast_dtype("bf16", CPU) is torch.bfloat16
    assert autocast_dtype("fp16", CPU) is torch.float16


def test_auto_on_a_cpu_gives_exactly_the_fp32_result(models, content, style) -> None:
    fp32 = run(models, content, style, "fp32")
    auto = run(models, content, style, "auto")
    assert auto.metadata["precision"] == "float32"
    assert np.array_equal(fp32.pixels, auto.pixels)


@pytest.mark.parametrize(("precision", "dtype"), [("bf16", "bfloat16"), ("fp16", "float16")])
def test_half_precision_output_stays_close_to_fp32(models, content, style, precision,
                                                   dtype) -> None:
    fp32 = run(models, content, style, "fp32")
    half = run(models, content, style, precision)
    assert half.metadata["precision"] == dtype
    assert not np.array_equal(fp32.pixels, half.pixels)  # the autocast really ran
    assert psnr(fp32.pixels, half.pixels) >= MIN_PSNR_DB


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_activations_come_back_in_fp32_with_a_gradient_close_to_fp32s(models, dtype) -> None:
    vgg = models.vgg()
    image = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(3))

    def style_gradient() -> tuple[dict, torch.Tensor]:
        x = image.clone().requires_grad_()
        features = vgg(x, layers=STYLE_LAYERS)
        loss = sum(scaled_squared_error(gram(features[layer]), gram(features[layer]) * 0.5)
                   for layer in STYLE_LAYERS)
        loss.backward()
        return features, x.grad

    _, reference = style_gradient()
    with vgg_precision(vgg, dtype):
        features, gradient = style_gradient()
    assert vgg.autocast_dtype is None  # restored after the block
    assert all(features[layer].dtype == torch.float32 for layer in STYLE_LAYERS)
    cosine = torch.nn.functional.cosine_similarity(reference.flatten(), gradient.flatten(), 0)
    assert cosine > 0.99


def test_fp16_gradient_scale_is_a_power_of_two_growing_with_the_pixels() -> None:
    assert fp16_gradient_scale((4, 4)) == 1.0
    assert fp16_gradient_scale((256, 256)) == 4096.0
    assert fp16_gradient_scale((2048, 2048)) == 2.0**18


def test_scale_gradient_is_the_identity_forward_and_scales_the_gradient_back() -> None:
    x = torch.ones(3, requires_grad=True)
    y = scale_gradient(x, 8.0)
    assert torch.equal(y, x)
    y.sum().backward()
    assert torch.equal(x.grad, torch.full((3,), 8.0))



def test_a_job_with_face_terms_runs_in_bf16_close_to_fp32(models, style) -> None:
    """The GPU's default (precision auto is bf16 there) with the face terms on, whose large
    convolutions run in bands (backend/engine/banded.py)."""
    portrait = photo("astronaut").resize((128, 128), Image.LANCZOS)  # its face: ~27 px
    options = {"min_scale": 128, "end_scale": 128, "initial_iterations": 4}
    fp32 = stylize(portrait, [style], options=Options(**options), models=models)
    bf16 = stylize(portrait, [style], options=Options(**options, precision="bf16"),
                   models=models)
    assert bf16.metadata["precision"] == "bfloat16"
    assert len(bf16.metadata["faces"]["fidelity"]) == 1  # the face terms ran
    assert psnr(fp32.pixels, bf16.pixels) >= MIN_PSNR_DB
