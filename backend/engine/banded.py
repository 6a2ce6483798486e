"""A large 2-D convolution computed in bands of output rows, with a callback between bands.

One convolution of VGG-19's first blocks at 1536 px is about 65 G multiply-adds, several
seconds on a 2-core CPU, and a single ATen operation cannot be interrupted. Computed in bands of
rows (each with the input rows its kernel reads), each band is a smaller convolution and the
cancel flag can be asked between bands (backend/engine/cancel.py).

Every output element is computed from the same inputs and weights as in the whole convolution,
so bands agree with it to rounding; the CPU kernels may order a sum differently for a band's
shape (seen for RGB input and for narrow images, not for VGG-19's layers of 512-1536 px
images), so jobs that promise Crowson's bits are not banded (backend/engine/cancel.py). Only
the shapes this needs are banded: CPU tensors, 4-D contiguous input, stride 1, no dilation, one
group, not transposed, at least :data:`MIN_CHANNELS` channels in and out, bands of at least
:data:`MIN_BAND_ROWS` rows; and in the backward pass only the input's gradient. Anything else
runs whole.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch.nn import functional as F

BAND_MULTIPLY_ADDS = 8 * 10**9
"""Work per band, multiply-adds: about 1.5 s of a 2-core CPU at load 20 (whole 1536-px
layers of 65 G took 12 s there), a fraction of that when idle."""
MIN_BAND_ROWS = 16
"""Fewest rows in a band: thinner bands can make the CPU kernels split their sums otherwise."""
MIN_CHANNELS = 16
"""Fewest input and output channels of a banded convolution: the CPU kernels for RGB input
(VGG-19's first layer) sum differently in bands, and such a layer is cheap anyway."""


def _plain(input: torch.Tensor, weight: torch.Tensor, stride: Sequence[int],
           dilation: Sequence[int], transposed: bool, groups: int) -> bool:
    return (input.device.type == "cpu" and input.dim() == 4 and input.is_contiguous()
            and list(stride) == [1, 1] and list(dilation) == [1, 1] and not transposed
            and groups == 1 and weight.dim() == 4 and min(weight.shape[:2]) >= MIN_CHANNELS)


def _bands(rows: int, multiply_adds: int, band_work: int) -> list[tuple[int, int]]:
    """``[(r0, r1), ...]`` covering ``rows`` rows in pieces of about ``band_work`` and at least
    :data:`MIN_BAND_ROWS` rows; one piece when no split fits."""
    count = max(1, min(rows // MIN_BAND_ROWS, math.ceil(multiply_adds / band_work)))
    edges = [round(i * rows / count) for i in range(count + 1)]
    return list(zip(edges, edges[1:], strict=False))


def _work(output_shape: Sequence[int], weight: torch.Tensor) -> int:
    return math.prod(output_shape) * math.prod(weight.shape[1:])


def banded_convolution(args: tuple, between_bands: Callable[[], None],
                       band_work: int = BAND_MULTIPLY_ADDS) -> torch.Tensor | None:
    """``aten.convolution(*args)`` computed in bands of output rows, calling
    ``between_bands`` before each; None when it is small or not of a banded kind (then run it
    whole). ``args``: input ``(N, C, H, W)``, weight ``(O, C, kh, kw)``, bias ``(O,)`` or None,
    stride, padding, dilation, transposed, output_padding, groups."""
    input, weight, bias, stride, padding, dilation, transposed, _, groups = args
    if not _plain(input, weight, stride, dilation, transposed, groups):
        return None
    kh, ph = weight.shape[2], padding[0]
    n, _, h, w = input.shape
    rows = h + 2 * ph - kh + 1
    cols = w + 2 * padding[1] - weight.shape[3] + 1
    output_shape = (n, weight.shape[0], rows, cols)
    bands = _bands(rows, _work(output_shape, weight), band_work)
    if len(bands) == 1:
        return None
    output = input.new_empty(output_shape)
    for r0, r1 in bands:
        between_bands()
        # Output rows r0..r1-1 read the vertically padded input's rows r0..r1+kh-2.
        top, bottom = r0 - ph, r1 + kh - 1 - ph
        band = input[:, :, max(top, 0):min(bottom, h)]
        if top < 0 or bottom > h:
            band = F.pad(band, (0, 0, max(-top, 0), max(bottom - h, 0)))
        output[:, :, r0:r1] = torch.ops.aten.convolution(
            band, weight, bias, [1, 1], [0, padding[1]], [1, 1], False, [0, 0], 1)
    return output


def banded_input_gradient(args: tuple, between_bands: Callable[[], None],
                          band_work: int = BAND_MULTIPLY_ADDS) -> tuple | None:
    """``aten.convolution_backward(*args)`` when only the input's gradient is asked for,
    computed in bands of input rows, calling ``between_bands`` before each; None when small or
    not of a banded kind. ``args``: grad_output, input, weight, bias_sizes, stride, padding,
    dilation, transposed, output_padding, groups, output_mask."""
    (grad_output, input, weight, _, stride, padding, dilation, transposed, _, groups,
     mask) = args
    if list(mask) != [True, False, False] or not grad_output.is_contiguous() or not _plain(
            input, weight, stride, dilation, transposed, groups):
        return None
    kh, ph = weight.shape[2], padding[0]
    n, c, h, w = input.shape
    bands = _bands(h, _work(input.shape, weight.transpose(0, 1)), band_work)
    if len(bands) == 1:
        return None
    rows_out = grad_output.shape[2]
    gradient = input.new_empty(input.shape)
    for r0, r1 in bands:
        between_bands()
        # Input rows r0..r1-1 receive from output rows r0+ph-kh+1 .. r1+ph-1.
        top, bottom = r0 + ph - kh + 1, r1 + ph
        band = grad_output[:, :, max(top, 0):min(bottom, rows_out)]
        if top < 0 or bottom > rows_out:
            band = F.pad(band, (0, 0, max(-top, 0), max(bottom - rows_out, 0)))
        # The input rows those output rows read (r0-kh+1 .. r1+kh-2): only their shape is used.
        shape = (n, c, r1 - r0 + 2 * kh - 2, w)
        band_gradient = torch.ops.aten.convolution_backward(
            band, input.new_empty(shape), weight, None, [1, 1], [0, padding[1]], [1, 1],
            False, [0, 0], 1, [True, False, False])[0]
        gradient[:, :, r0:r1] = band_gradient[:, :, kh - 1:kh - 1 + r1 - r0]
    return gradient, None, None
