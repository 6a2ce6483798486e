"""Mixed precision for VGG-19's forward: autocast inside the network, fp32 outside it.

The convolutions run in bf16 or fp16 (``torch.autocast``); the activations the loss terms read
come back as fp32, so Gram matrices and losses are computed in fp32 (fp16 Grams overflow: a sum
of H·W products of activations in the hundreds passes fp16's 65504 and turns into inf, the
NaN/grey-output failure of pure-fp16 style transfer). fp16's narrow range has a second
hazard: the gradient of a normalised loss is spread over every activation, about 1/(H·W·C)
each, below fp16's smallest number at large sizes. So in fp16 the gradient is scaled up by a
power of two on its way into the network and down by the same on its way out (exact in
binary floating point): :class:`GradientScale`, as ``torch.amp.GradScaler`` scales a loss.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

import torch

AUTOCAST_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def cpu_has_amx() -> bool:
    """Whether this CPU has AMX, the matrix units oneDNN runs bf16 convolutions on (Intel
    Sapphire Rapids and later): ``torch.cpu._is_amx_tile_supported()`` where torch has it,
    else the ``amx_bf16`` flag of /proc/cpuinfo (False where that file cannot be read)."""
    probe = getattr(torch.cpu, "_is_amx_tile_supported", None)
    if probe is not None:
        return bool(probe())
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            return any(line.startswith("flags") and "amx_bf16" in line.split()
                       for line in cpuinfo)
    except OSError:
        return False


def runs_bf16_natively(device: torch.device) -> bool:
    """Whether ``device`` computes bf16 convolutions in hardware, so bf16 autocast is faster
    than fp32 there: a CUDA GPU that supports bf16, or a CPU with AMX (:func:`cpu_has_amx`;
    on a CPU without it oneDNN emulates bf16 and autocast is slower than fp32)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return device.type == "cpu" and cpu_has_amx()


def autocast_dtype(precision: str, device: torch.device, prefer_speed: bool = False,
                   native_bf16: bool | None = None) -> torch.dtype | None:
    """The autocast dtype of the ``precision`` option (``auto``, ``fp32``, ``bf16``, ``fp16``)
    on ``device``, or None for plain fp32 (docs/engine.md, Precision).

    ``auto`` is bf16 where the device runs bf16 natively (``native_bf16``; None: ask
    :func:`runs_bf16_natively`) and either the device is a CUDA GPU or ``prefer_speed`` is
    set (a preset: shared.presets.prefers_speed); otherwise fp32, so without a preset a CPU
    stays fp32, the reference bit for bit. An explicit precision always wins.
    Raises ValueError when the device has no autocast."""
    if precision not in ("auto", "fp32") and not torch.amp.is_autocast_available(device.type):
        raise ValueError(f"precision {precision} needs mixed precision, which {device.type} "
                         "does not have; use precision fp32 or auto")
    if precision == "auto":
        if not (device.type == "cuda" or prefer_speed):
            return None
        native = runs_bf16_natively(device) if native_bf16 is None else native_bf16
        return torch.bfloat16 if native else None
    return AUTOCAST_DTYPES.get(precision)


def autocast(device: torch.device, dtype: torch.dtype | None) -> AbstractContextManager:
    """``torch.autocast`` to ``dtype`` on ``device``'s type, or nothing when ``dtype`` is
    None (so the fp32 path runs exactly the operations it ran before mixed precision)."""
    return nullcontext() if dtype is None else torch.autocast(device.type, dtype=dtype)


def fp16_gradient_scale(size_hw: tuple[int, int]) -> float:
    """The factor the gradient inside an fp16 network is scaled by for an input of
    ``size_hw`` pixels: the power of two nearest H·W / 16, at least 1, which keeps the typical
    scaled gradient near 1e-3 whatever the size (well inside fp16's 6e-5 to 65504)."""
    return float(2 ** max(round(math.log2(size_hw[0] * size_hw[1] / 16)), 0))


class GradientScale(torch.autograd.Function):
    """Identity forward; the backward multiplies the gradient by ``scale``."""

    @staticmethod
    def forward(ctx, input: torch.Tensor, scale: float) -> torch.Tensor:  # noqa: ANN001
        ctx.scale = scale
        return input.view_as(input)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:  # noqa: ANN001
        return grad * ctx.scale, None


def scale_gradient(input: torch.Tensor, scale: float) -> torch.Tensor:
    """``input`` unchanged, its gradient multiplied by ``scale`` on the way back (nothing is
    recorded when ``scale`` is 1 or ``input`` needs no gradient)."""
    if scale == 1 or not input.requires_grad:
        return input
    return GradientScale.apply(input, scale)


@contextmanager
def vgg_precision(model: torch.nn.Module, dtype: torch.dtype | None) -> Iterator[None]:
    """Within the block, ``model`` (a :class:`~backend.models.vgg.VGGFeatures`) runs its
    layers under autocast to ``dtype`` (None: fp32); its previous setting is restored after."""
    previous, model.autocast_dtype = model.autocast_dtype, dtype
    try:
        yield
    finally:
        model.autocast_dtype = previous


def use_channels_last(model: torch.nn.Module) -> None:
    """Weights and inputs of ``model`` (a VGGFeatures) in channels-last memory format, the
    layout CUDA's tensor-core convolutions prefer; cuDNN picks its fastest algorithm per
    shape (``cudnn.benchmark``; a new shape costs one search)."""
    model.to(memory_format=torch.channels_last)
    model.channels_last = True
    torch.backends.cudnn.benchmark = True
