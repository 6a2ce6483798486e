"""Coarse-to-fine schedule: scales, sizes, Adam warm starts and iterate averaging (§3)."""

from __future__ import annotations

import copy
import warnings
from typing import Any

import torch
from torch.nn import functional as F

from shared.options import EARLY_STOP_WINDOW

# The ladder is shared with the clients, which estimate a job's work from it.
from shared.schedule import job_scales, scale_iterations, scale_ladder, size_to_fit  # noqa: F401


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


class EarlyStop:
    """Whether a scale's loss has stopped falling (the ``early_stop`` option): the mean total
    loss of its last ``window`` iterations has fallen by less than ``tolerance`` (a fraction)
    below the mean of the ``window`` before. A tolerance of 0 never stops (Crowson's
    schedule) and reads no loss, so the loop then waits on no device."""

    def __init__(self, tolerance: float, window: int = EARLY_STOP_WINDOW) -> None:
        self.tolerance, self.window = tolerance, window
        self.losses: list[float] = []

    def settled(self, loss: torch.Tensor) -> bool:
        """Record this iteration's total ``loss`` (a scalar); True once the scale has
        settled (never before ``2 × window`` iterations)."""
        if not self.tolerance:
            return False
        self.losses.append(float(loss.detach()))
        if len(self.losses) < 2 * self.window:
            return False
        recent = sum(self.losses[-self.window:]) / self.window
        before = sum(self.losses[-2 * self.window:-self.window]) / self.window
        return before - recent < self.tolerance * before
