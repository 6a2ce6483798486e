"""Cancellation points inside an iteration: before every tensor operation, forward and backward.

An iteration at 1536 px takes tens of seconds on a CPU, and one VGG-19 layer several, so
checking the cancel flag once per iteration, or once per layer, is not enough (issue 14: cancel
within 2 s at any size). While a CPU job runs, a PyTorch dispatch mode asks the flag before every
ATen operation the job's thread runs: the VGG-19 forward and the backward pass (which PyTorch
runs in the same thread on a CPU, and with the caller's modes on other devices), the loss
terms, the optimizer step, the set-up of each scale (style and content targets, face
detection) and the fidelity report. The longest time between two checks is one operation
(bench/cancel_gaps.py measures it): a VGG-19 convolution of the first blocks at 1536 px takes
seconds.

Jobs with face terms also compute a large convolution in bands of rows, forward and backward,
with a check between bands (backend/engine/banded.py); bands agree with the whole to rounding.
Crowson's exact method (face weights 0) is never banded: there the mode only asks and runs
each operation as given, so results are bit for bit those of a run without it
(tests/engine/test_cancel.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from backend.engine.banded import BAND_MULTIPLY_ADDS, banded_convolution, banded_input_gradient
from backend.engine.events import Cancelled
from shared.options import Options

CancelCheck = threading.Event | Callable[[], bool] | None
ATEN = torch.ops.aten


def cancel_requested(cancel: CancelCheck) -> bool:
    """Whether ``cancel`` (an event, a callable, or None for never) is set."""
    if cancel is None:
        return False
    if isinstance(cancel, threading.Event):
        return cancel.is_set()
    return bool(cancel())


def band_work_for(options: Options) -> int:
    """Multiply-adds per band of a large convolution for a job of ``options``: 0 (never
    banded) for Crowson's exact method, which must keep the reference's bits."""
    return BAND_MULTIPLY_ADDS if options.faces_enabled else 0


class _AskBeforeEachOperation(TorchDispatchMode):
    """Raises :class:`Cancelled` before an ATen operation (and between the bands of a large
    convolution) when the flag is set; otherwise runs the operation."""

    def __init__(self, cancel: threading.Event | Callable[[], bool], band_work: int) -> None:
        super().__init__()
        self.cancel, self.band_work = cancel, band_work
        self.func: Any = None

    def check(self) -> None:
        if cancel_requested(self.cancel):
            where = ("backward" if torch._C._current_autograd_node() is not None
                     else "forward")
            raise Cancelled(f"cancelled during the {where} pass (at {self.func})")

    def __torch_dispatch__(self, func: Any, types: Any, args: tuple = (),
                           kwargs: dict | None = None) -> Any:
        self.func = func
        self.check()
        result = None
        if not self.band_work or kwargs:
            pass
        elif func is ATEN.convolution.default:
            result = banded_convolution(args, self.check, self.band_work)
        elif func is ATEN.convolution_backward.default:
            result = banded_input_gradient(args, self.check, self.band_work)
        return func(*args, **(kwargs or {})) if result is None else result


@contextmanager
def cancel_points(cancel: CancelCheck, band_work: int = 0,
                  device: torch.device | str = "cpu") -> Iterator[None]:
    """Within the block, every tensor operation of this thread (and of the backward passes
    it starts) first asks ``cancel`` and raises :class:`Cancelled` when it is set; a
    convolution of more than ``band_work`` multiply-adds (0: none) asks again between bands of
    about that much. ``None`` (never cancelled) adds nothing, and so does a job on another
    ``device`` than the CPU: there an iteration takes well under a second, so the
    per-iteration check is enough, and the mode's Python call per operation (tens of
    microseconds) would be a large share of a GPU's time per operation."""
    if cancel is None or torch.device(device).type != "cpu":
        yield
        return
    with _AskBeforeEachOperation(cancel, band_work):
        yield
