"""How much memory a job needs at its peak, and how much the device has: one model, used to
refuse jobs that cannot fit before they run (the server's admission control) and to plan
large ones (full-resolution and tiled steps reuse :func:`estimate_peak_bytes`).

The model (float32; fitted on the CPU at 128-1024 px, bench/memory.py and bench/RESULTS.md):

- an iteration at the final scale keeps VGG-19's activations up to relu5_1 for the backward
  pass and then their gradients: about :data:`TRAINING_BYTES_PER_PIXEL` per pixel of that
  scale (smaller scales come first and are freed);
- each style's Gram targets come from a forward pass without gradients at the style's size:
  about :data:`INFERENCE_BYTES_PER_PIXEL` per pixel of the largest style image, before the
  iterations (so it is a separate peak, not added to theirs);
- face terms keep FaceNet's and FaceMesh's activations for every face at once:
  :data:`FACE_TERMS_BYTES` per face, on top of the iteration; the fidelity report runs
  FaceMesh without gradients over :data:`FACE_CHUNK` faces at a time;
- plus :data:`FIXED_BYTES` of tensors whose size does not grow with the image.

Models themselves are not counted: they are loaded before any job and stay.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import math
import resource
from collections.abc import Sequence
from pathlib import Path

import torch

from backend.engine.faces import FACE_CHUNK, MAX_FACES
from backend.engine.losses import style_size
from backend.engine.schedule import job_scales, size_to_fit
from shared.options import Options

TRAINING_BYTES_PER_PIXEL = 3400
INFERENCE_BYTES_PER_PIXEL = 900
FACE_TERMS_BYTES = 36 * 2**20
FIDELITY_BYTES_PER_FACE = 15 * 2**20
FIXED_BYTES = 32 * 2**20
HEADROOM = 1.25  # a job is admitted when HEADROOM × its estimate fits
MIN_END_SCALE = 32


def estimate_peak_bytes(options: Options, content_size: tuple[int, int],
                        style_sizes: Sequence[tuple[int, int]],
                        device: torch.device | str = "cpu") -> int:
    """Bytes the job needs above the loaded models at its peak (see the module's model).

    ``content_size`` and ``style_sizes``: ``(w, h)`` of the images as submitted, in pixels.
    ``device`` is accepted for devices whose costs differ; on CUDA the same model holds to
    within its allocator's rounding. Never raises for valid options."""
    del device  # one model for now; the argument keeps callers device-aware
    final = job_scales(options, content_size)[-1]
    w, h = size_to_fit(content_size, final, scale_up=True)
    iteration = TRAINING_BYTES_PER_PIXEL * w * h
    faces = len(options.face_boxes) if options.face_boxes else MAX_FACES
    if options.faces_enabled:
        iteration += FACE_TERMS_BYTES * min(faces, MAX_FACES)
    styles = max((math.prod(style_size(size, final, options))
                  for size in style_sizes), default=0)
    style_grams = INFERENCE_BYTES_PER_PIXEL * styles
    report = FIDELITY_BYTES_PER_FACE * min(faces, FACE_CHUNK)
    return FIXED_BYTES + max(iteration, style_grams, report)


def largest_end_scale_that_fits(options: Options, content_size: tuple[int, int],
                                style_sizes: Sequence[tuple[int, int]], budget: int,
                                device: torch.device | str = "cpu") -> int | None:
    """The largest end scale (px, at most ``options.end_scale``, or the content's long side
    when that is 0) whose estimate, with
    :data:`HEADROOM`, fits ``budget`` bytes; None when not even the smallest does."""
    def fits(scale: int) -> bool:
        changed = options.replace(end_scale=scale, min_scale=min(options.min_scale, scale))
        return HEADROOM * estimate_peak_bytes(changed, content_size, style_sizes,
                                              device) <= budget

    low, high = MIN_END_SCALE, options.end_scale or max(content_size)
    if not fits(low):
        return None
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if fits(middle) else (low, middle - 1)
    return low


def _meminfo_available() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _cgroup_headroom() -> int | None:
    """What this process's memory cgroup (v2, or v1's memory controller) still allows, if it
    sets a limit."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            folder, files = Path("/sys/fs/cgroup"), ("memory.max", "memory.current")
        elif "memory" in controllers.split(","):
            folder = Path("/sys/fs/cgroup/memory")
            files = ("memory.limit_in_bytes", "memory.usage_in_bytes")
        else:
            continue
        try:
            limit = (folder / path.lstrip("/") / files[0]).read_text().strip()
            usage = int((folder / path.lstrip("/") / files[1]).read_text())
        except (OSError, ValueError):
            continue
        if limit.isdigit() and int(limit) < 2**60:
            return max(int(limit) - usage, 0)
    return None


def _address_space_headroom() -> int | None:
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return None
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return max(soft - pages * resource.getpagesize(), 0)


def available_bytes(device: torch.device | str = "cpu") -> int | None:
    """Bytes a job may still allocate on ``device`` now: on CUDA the free memory plus what
    torch's cache holds unused; on the CPU the least of the system's available memory, the
    memory cgroup's headroom and the address-space limit's. None when unknown (MPS, or no
    /proc)."""
    device = torch.device(device)
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return free + torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device)
    if device.type != "cpu":
        return None
    known = [value for value in (_meminfo_available(), _cgroup_headroom(),
                                 _address_space_headroom()) if value is not None]
    return min(known) if known else None


def return_cpu_memory() -> None:
    """Give freed CPU memory back to the system: collect, then ask glibc to return its free
    heap pages (``malloc_trim``); elsewhere only the collection happens."""
    gc.collect()
    name = ctypes.util.find_library("c")
    if name is None:
        return
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return  # not glibc
    trim(0)
