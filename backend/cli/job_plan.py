"""The line the CLI prints before a job starts: its scales, tile, memory and rough time.

A user who asks for a full-resolution job learns before any model loads what it will cost:
the ladder's last scale, the tile the memory planner picks for it (docs/large-images.md,
Tiles), the planner's estimate of the peak memory above the loaded models
(:func:`backend.engine.memory.estimate_peak_bytes`), and on a CPU a rough duration from the
benchmark machine's rate (:func:`shared.job_time.rough_seconds`). The progress bar's own
time-left then follows the work (megapixel-iterations) rather than the iteration count, since
a large scale's iteration costs many times a small one's.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from backend.engine.events import OutOfMemory
from backend.engine.memory import available_bytes, estimate_peak_bytes, plan_tile_size
from shared.job_time import duration_text, rough_seconds
from shared.options import Options
from shared.schedule import scale_plan


def plan_text(options: Options, content_size: tuple[int, int],
              style_sizes: Sequence[tuple[int, int]], device: torch.device,
              threads: int = 2) -> str:
    """One line: ``"2 scales up to 1600x1200 in 400-px tiles; peak memory about 1.2 GB above
    the models; about 5.7 h on this CPU, 2 threads (rough)"``. ``content_size`` and
    ``style_sizes``: ``(w, h)`` in pixels. ``threads``: the CPU threads the job will compute
    with (one takes longer, :func:`shared.job_time.rough_seconds`). The tile part is left out
    for an untiled job, the time on a device whose rate is not known before it starts; a job
    the planner refuses gets no line (``""``: the engine then refuses it with its own one-line
    reason). Never raises for valid options."""
    plan = scale_plan(options, content_size)
    last = plan[-1]
    try:
        tile = plan_tile_size(options, content_size, style_sizes, device,
                              available_bytes(device))
    except OutOfMemory:
        return ""
    peak = estimate_peak_bytes(options.replace(tile_size=tile), content_size, style_sizes, device)
    parts = [f"{len(plan)} scale{'s' if len(plan) > 1 else ''} up to {last.width}x{last.height}"
             + (f" in {tile}-px tiles" if 0 < tile < max(last.width, last.height) else ""),
             f"peak memory about {peak / 1e9:.1f} GB above the models"]
    seconds = rough_seconds(plan, device.type, faces=options.faces_enabled, threads=threads)
    if seconds is not None:
        plural = "s" if threads > 1 else ""
        parts.append(f"{duration_text(seconds)} on this CPU, {threads} thread{plural} (rough)")
    return "; ".join(parts)
