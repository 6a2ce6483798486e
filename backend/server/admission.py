"""Admission control: before a job is queued, every size-like input is bounded and its peak
memory (:func:`backend.engine.memory.estimate_peak_bytes`) is weighed against what the
device has, so a small request cannot get the server killed by the system's OOM killer."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from backend.engine.events import OutOfMemory
from backend.engine.images import ImageInputError
from backend.engine.memory import available_bytes, estimate_peak_bytes, plan_tile_size
from backend.engine.sizes import check_sizes
from shared.options import Options
from shared.protocol import Limits, ProtocolError


class JobTooLarge(Exception):
    """The job would not fit in the device's memory; the message names a size that would."""


def memory_refusal(options: Options, content_size: tuple[int, int],
                   style_sizes: Sequence[tuple[int, int]], device: torch.device,
                   budget: int | None) -> str | None:
    """The one-line reason the job cannot fit ``budget`` bytes in any tile size it may use
    (:func:`~backend.engine.memory.plan_tile_size`), or None when it fits (or the budget is
    unknown)."""
    try:
        plan_tile_size(options, content_size, style_sizes, device, budget)
    except OutOfMemory as err:
        return str(err)
    return None


def planned_peak_bytes(options: Options, content_size: tuple[int, int],
                       style_sizes: Sequence[tuple[int, int]], device: torch.device,
                       budget: int | None) -> int:
    """The estimated peak of a job that fits, with the tile size it will run with."""
    tile_size = plan_tile_size(options, content_size, style_sizes, device, budget)
    return estimate_peak_bytes(options.replace(tile_size=tile_size), content_size,
                               style_sizes, device)


def admit(options: Options, content_size: tuple[int, int],
          style_sizes: Sequence[tuple[int, int]], limits: Limits, device: torch.device,
          held_bytes: int, request_id: str | int | None) -> int:
    """Check a submitted job; return its estimated peak bytes. ``held_bytes``: what the
    running job is estimated to hold (it is given back before this one starts). Raises
    :class:`ProtocolError`: ``bad_options`` for too many face boxes, ``bad_image`` for an
    image too small to stylize, ``job_too_large`` for a job that cannot fit."""
    if len(options.face_boxes) > limits.max_face_boxes:
        raise ProtocolError("bad_options", f"options: face_boxes: {len(options.face_boxes)} "
                            f"boxes; at most {limits.max_face_boxes} are accepted", request_id)
    try:
        check_sizes(content_size, style_sizes, options)
    except ImageInputError as err:
        raise ProtocolError("bad_image", str(err), request_id) from err
    free = available_bytes(device)
    budget = None if free is None else free + held_bytes
    refusal = memory_refusal(options, content_size, style_sizes, device, budget)
    if refusal is not None:
        raise ProtocolError("job_too_large", refusal, request_id)
    return planned_peak_bytes(options, content_size, style_sizes, device, budget)


def check_fits_now(options: Options, content_size: tuple[int, int],
                   style_sizes: Sequence[tuple[int, int]], device: torch.device) -> None:
    """Just before a job runs (memory may have gone since it was admitted): raise
    :class:`JobTooLarge` when it no longer fits."""
    refusal = memory_refusal(options, content_size, style_sizes, device,
                             available_bytes(device))
    if refusal is not None:
        raise JobTooLarge(refusal)
