"""Cancellation points inside an iteration: between VGG-19's layers, forward and backward.

An iteration at 1536 px takes tens of seconds on a CPU, so checking the cancel flag once per
iteration is not enough. While a job runs, every layer of the VGG-19 it uses checks the flag
before it runs and, for an input that needs gradients, again when the backward pass reaches
it; the style and content targets of a scale's set-up go through the same layers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from backend.engine.events import Cancelled

CancelCheck = threading.Event | Callable[[], bool] | None


def cancel_requested(cancel: CancelCheck) -> bool:
    """Whether ``cancel`` (an event, a callable, or None for never) is set."""
    if cancel is None:
        return False
    if isinstance(cancel, threading.Event):
        return cancel.is_set()
    return bool(cancel())


@contextmanager
def cancel_points(model: nn.Module, cancel: CancelCheck) -> Iterator[None]:
    """Within the block, each child layer of ``model.model`` (an ``nn.Sequential``) raises
    :class:`Cancelled` when ``cancel`` is set, before its forward and during its backward."""
    if cancel is None:
        yield
        return

    def check(where: str) -> None:
        if cancel_requested(cancel):
            raise Cancelled(f"cancelled during the {where} pass")

    def during_backward(grad: torch.Tensor) -> None:
        check("backward")

    def before_layer(module: nn.Module, inputs: tuple[Any, ...]) -> None:
        check("forward")
        if inputs and isinstance(inputs[0], torch.Tensor) and inputs[0].requires_grad:
            inputs[0].register_hook(during_backward)

    handles = [layer.register_forward_pre_hook(before_layer) for layer in model.model]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()
