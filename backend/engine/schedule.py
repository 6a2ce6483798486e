"""Coarse-to-fine schedule: scales, sizes, Adam warm starts and iterate averaging (§3)."""

from __future__ import annotations

import copy
import warnings
from typing import Any

import torch
from torch.nn import functional as F

from shared.options import HIGH_SCALE, Options


def size_to_fit(size: tuple[int, int], max_dim: int, scale_up: bool = False) -> tuple[int, int]:
    """``(w, h)`` with the long side ``max_dim`` and the short side rounded proportionally;
    without ``scale_up`` a size already within ``max_dim`` is kept."""
    w, h = size
    if not scale_up and max(w, h) <= max_dim:
        return w, h
    if h > w:
        return round(max_dim * w / h), max_dim
    return max_dim, round(max_dim * h / w)


def scale_ladder(min_scale: int, end_scale: int) -> list[int]:
    """Scales from ``end_scale`` down by factors of √2 while ≥ ``min_scale``, ascending."""
    scales, i, scale = set(), 0, end_scale
    while scale >= min_scale:
        scales.add(scale)
        i += 1
        scale = round(end_scale / 2 ** (i / 2))
    return sorted(scales)


def job_scales(options: Options, content_size: tuple[int, int]) -> list[int]:
    """The scale ladder of a job on a content of ``content_size`` ``(w, h)`` pixels:
    :func:`scale_ladder` from ``min_scale`` (at most the end) to ``end_scale``, or to the
    content's long side when ``end_scale`` is 0."""
    end = options.end_scale or max(content_size)
    return scale_ladder(min(options.min_scale, end), end)


def scale_iterations(options: Options, scales: list[int]) -> list[int]:
    """Adam iterations at each of ``scales`` (long sides in pixels, ascending):
    ``initial_iterations`` at the first, then ``iterations``, or ``high_scale_iterations``
    (when set) at scales above :data:`shared.options.HIGH_SCALE`."""
    later = [options.high_scale_iterations
             if options.high_scale_iterations is not None and scale > HIGH_SCALE
             else options.iterations for scale in scales[1:]]
    return [options.initial_iterations, *later]


def resize(image: torch.Tensor, size_hw: tuple[int, int], mode: str) -> torch.Tensor:
    """``F.interpolate`` without its align_corners warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return F.interpolate(image, size_hw, mode=mode)


def rescale_adam_state(state: dict[str, Any], size_hw: tuple[int, int]) -> dict[str, Any]:
    """An Adam state dict for the iterate at a new size: first moments resized bicubic, second
    moments bilinear and clamped at 0; step counts kept."""
    state = copy.deepcopy(state)
    for param_state in state["state"].values():
        param_state["exp_avg"] = resize(param_state["exp_avg"], size_hw, "bicubic")
        param_state["exp_avg_sq"] = resize(param_state["exp_avg_sq"], size_hw,
                                           "bilinear").relu_()
    return state


class IterateAverage:
    """Bias-corrected exponential moving average of the iterate, as Adam corrects its moments.

    ``value ← d·value + (1−d)·x``; read as ``value / (1 − dᵏ)`` after k updates.
    """

    def __init__(self, first: torch.Tensor, decay: float) -> None:
        self.value = torch.zeros_like(first)
        self.decay = torch.tensor(decay, device=first.device)
        self.accum = torch.tensor(1.0, device=first.device)
        self.update(first)

    @torch.no_grad()
    def update(self, x: torch.Tensor) -> None:
        self.accum *= self.decay
        self.value *= self.decay
        self.value += (1 - self.decay) * x

    def get(self) -> torch.Tensor:
        return self.value / (1 - self.accum)
