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
    cpu_has_amx,
    fp16_gradient_scale,
    scale_gradient,
    vgg_precision,
)
from shared.options import PRESET_CHOICES, Options
from shared.presets import prefers_speed
from tests.photos import photo

CPU = torch.device("cpu")
CUDA = torch.device("cuda")  # only named: ``native_bf16`` stands in for asking the GPU
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


def run(models: ModelBundle, content: Image.Image, style: Image.Image, precision: str,
        preset: str = "none"):
    options = Options(face_weight=0, mesh_weight=0, min_scale=45, end_scale=64,
                      initial_iterations=6, iterations=4, precision=precision, preset=preset)
    return stylize(content, [style], options=options, models=models)


def test_auto_is_fp32_on_a_cpu_and_names_map_to_autocast_types() -> None:
    assert autocast_dtype("auto", CPU) is None
    assert autocast_dtype("fp32", CPU) is None
    assert autocast_dtype("bf16", CPU) is torch.bfloat16
    assert autocast_dtype("fp16", CPU) is torch.float16


def test_every_preset_but_none_prefers_speed() -> None:
    assert [prefers_speed(preset) for preset in PRESET_CHOICES] == [False, True, True, True]


# (precision, device, the device runs bf16 natively, preset, the autocast dtype chosen)
DECISIONS = [
    ("auto", CPU, True, "none", None),  # the exact-Crowson default stays fp32 even with AMX
    ("auto", CPU, True, "draft", torch.bfloat16),  # a CPU with AMX
    ("auto", CPU, True, "final", torch.bfloat16),
    ("auto", CPU, False, "draft", None),  # without AMX bf16 is slower than fp32
    ("auto", CPU, False, "none", None),
    ("auto", CUDA, True, "none", torch.bfloat16),
    ("auto", CUDA, True, "draft", torch.bfloat16),
    ("auto", CUDA, False, "balanced", None),  # a GPU without bf16
    ("fp32", CPU, True, "draft", None),  # an explicit precision wins over the preset
    ("fp32", CUDA, True, "draft", None),
    ("bf16", CPU, False, "none", torch.bfloat16),
    ("fp16", CPU, True, "draft", torch.float16),
]


@pytest.mark.parametrize(("precision", "device", "native", "preset", "expected"), DECISIONS)
def test_auto_chooses_bf16_on_bf16_hardware_for_a_preset_or_a_gpu(
        precision, device, native, preset, expected) -> None:
    assert autocast_dtype(precision, device, prefer_speed=prefers_speed(preset),
                          native_bf16=native) is expected


def test_the_amx_probe_agrees_with_the_cpus_flags() -> None:
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        flags = next(line.split() for line in cpuinfo if line.startswith("flags"))
    assert cpu_has_amx() == ("amx_bf16" in flags)


def test_a_preset_with_auto_runs_bf16_exactly_when_the_cpu_has_amx(models, content,
                                                                    style) -> None:
    """On this CPU: bf16 with AMX (the project's machine has it), else fp32 bit for bit."""
    fp32 = run(models, content, style, "fp32", preset="draft")
    auto = run(models, content, style, "auto", preset="draft")
    assert fp32.metadata["precision"] == "float32"
    assert auto.metadata["options"]["precision"] == "auto"
    if cpu_has_amx():
        assert auto.metadata["precision"] == "bfloat16"
        assert not np.array_equal(fp32.pixels, auto.pixels)
        assert psnr(fp32.pixels, auto.pixels) >= MIN_PSNR_DB
    else:
        assert auto.metadata["precision"] == "float32"
        assert np.array_equal(fp32.pixels, auto.pixels)


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
