"""TFLite operators as small NCHW torch modules, with TFLite's padding and activation rules.

Each module computes what the TFLite reference kernel computes, but on ``(N, C, H, W)`` tensors
and differentiably. Weights arrive already in torch's layout; :mod:`backend.models.tflite_graph`
converts them from the file's.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

# TFLite's fused activation functions, by their ActivationFunctionType name.
ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "NONE": lambda x: x,
    "RELU": F.relu,
    "RELU6": F.relu6,
    "RELU_N1_TO_1": lambda x: x.clamp(-1.0, 1.0),
    "TANH": torch.tanh,
}

PADDINGS = ("SAME", "VALID")


def same_padding(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow's "SAME" padding of one spatial axis as ``(before, after)``.

    The output has ``ceil(size / stride)`` positions; the padding needed for that is split with
    the odd pixel *after*, so a stride-2 3x3 kernel on an even size pads ``(0, 1)`` where torch's
    symmetric ``padding=1`` would shift the sampling grid by one pixel.
    """
    extent = (kernel - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + extent - size, 0)
    return total // 2, total - total // 2


def _spatial_same_padding(x: torch.Tensor, kernel: tuple[int, int], stride: tuple[int, int],
                          dilation: tuple[int, int]) -> tuple[int, int, int, int]:
    """``F.pad`` order ``(left, right, top, bottom)`` for SAME padding of ``x`` (N, C, H, W)."""
    top, bottom = same_padding(x.shape[2], kernel[0], stride[0], dilation[0])
    left, right = same_padding(x.shape[3], kernel[1], stride[1], dilation[1])
    return left, right, top, bottom


class Conv2d(nn.Module):
    """CONV_2D, and DEPTHWISE_CONV_2D as the grouped case.

    ``weight`` is ``(C_out, C_in / groups, kH, kW)``, ``bias`` ``(C_out,)`` or None. Input
    ``(N, C_in, H, W)`` -> output ``(N, C_out, H', W')`` with H' = ceil(H / stride) for SAME and
    (H - extent) // stride + 1 for VALID.
    """

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None, stride: tuple[int, int],
                 dilation: tuple[int, int], groups: int, padding: str, activation: str) -> None:
        super().__init__()
        self.weight = nn.Parameter(weight)
        self.bias = None if bias is None else nn.Parameter(bias)
        self.stride = stride
        self.dilation = dilation
        self.groups = groups
        self.padding = padding
        self.activation = activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        symmetric: tuple[int, int] | int = 0
        if self.padding == "SAME":
            left, right, top, bottom = _spatial_same_padding(
                x, tuple(self.weight.shape[2:]), self.stride, self.dilation)
            if (left, top) == (right, bottom):
                symmetric = (top, left)  # let the convolution pad: no extra copy
            else:
                x = F.pad(x, (left, right, top, bottom))
        y = F.conv2d(x, self.weight, self.bias, self.stride, symmetric, self.dilation, self.groups)
        return ACTIVATIONS[self.activation](y)

    def extra_repr(self) -> str:
        return (f"{self.weight.shape[1] * self.groups}, {self.weight.shape[0]}, "
                f"kernel={tuple(self.weight.shape[2:])}, stride={self.stride}, "
                f"groups={self.groups}, padding={self.padding}, activation={self.activation}")


class PReLU(nn.Module):
    """PRELU with one slope per channel: ``x if x >= 0 else alpha[c] * x``.

    ``alpha`` is ``(C,)`` (or ``(1,)``, shared); input and output ``(N, C, H, W)``.
    """

    def __init__(self, alpha: torch.Tensor) -> None:
        super().__init__()
        self.alpha = nn.Parameter(alpha)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.prelu(x, self.alpha)


class Add(nn.Module):
    """ADD of two same-shaped tensors, then the fused activation."""

    def __init__(self, activation: str) -> None:
        super().__init__()
        self.activation = activation

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return ACTIVATIONS[self.activation](x + y)


class MaxPool2d(nn.Module):
    """MAX_POOL_2D; SAME padding pads with -inf so padded cells never win."""

    def __init__(self, kernel: tuple[int, int], stride: tuple[int, int], padding: str,
                 activation: str) -> None:
        super().__init__()
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.activation = activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.padding == "SAME":
            x = F.pad(x, _spatial_same_padding(x, self.kernel, self.stride, (1, 1)),
                      value=float("-inf"))
        return ACTIVATIONS[self.activation](F.max_pool2d(x, self.kernel, self.stride))

    def extra_repr(self) -> str:
        return f"kernel={self.kernel}, stride={self.stride}, padding={self.padding}"


class Pad(nn.Module):
    """PAD with zeros; ``pads`` in ``F.pad`` order for NCHW:
    ``(left, right, top, bottom, channels_before, channels_after)``.

    FaceMesh uses it to widen the skip path's channels before a residual ADD.
    """

    def __init__(self, pads: tuple[int, ...]) -> None:
        super().__init__()
        self.pads = pads

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pad(x, self.pads)

    def extra_repr(self) -> str:
        return f"pads={self.pads}"
