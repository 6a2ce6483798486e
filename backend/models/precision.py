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


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype of the ``precision`` option (``auto``, ``fp32``, ``bf16``, ``fp16``)
    on ``device``, or None for plain fp32. ``auto`` is bf16 on a CUDA GPU that supports it and
    fp32 everywhere else (on a CPU without AMX bf16 convolutions are slower than fp32).
    Raises ValueError when the device has no autocast."""
    if precision not in ("auto", "fp32") and not torch.amp.is_autocast_available(device.type):
        raise ValueError(f"precision {precision} needs mixed precision, which {device.type} "
                         "does not have; use precision fp32 or auto")
    if precision == "auto":
        cuda_bf16 = device.type == "cuda" and torch.cuda.is_bf16_supported()
        return torch.bfloat16 if cuda_bf16 else None
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
