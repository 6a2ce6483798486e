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

A tiled scale (docs/large-images.md, Tiles) keeps the activations of one window at a time, at most
``tile_size`` on each side, and the whole-image tensors (iterate, gradient, Adam's moments,
iterate average, content and its relu4_2 target): :data:`WHOLE_IMAGE_BYTES_PER_PIXEL` per pixel
of the scale. The tile a job runs with is :func:`plan_tile_size`'s: the option, or when it is
not set the device's choice (:func:`auto_tile_size`: on a CPU the largest tile that keeps the
job within :data:`CPU_MEMORY_BUDGET` times its 512-px untiled estimate), made smaller when it
would not fit.

Models themselves are not counted: they are loaded before any job and stay.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import resource
from collections.abc import Sequence
from pathlib import Path

import torch

from backend.engine.events import OutOfMemory
from backend.engine.faces import FACE_CHUNK, MAX_FACES
from backend.engine.losses import style_size
from backend.engine.schedule import job_scales, size_to_fit
from backend.engine.tiles import ALIGN, needs_tiles
from shared.options import MIN_TILE_SIZE, Options

TRAINING_BYTES_PER_PIXEL = 3400
INFERENCE_BYTES_PER_PIXEL = 900
FACE_TERMS_BYTES = 36 * 2**20
FIDELITY_BYTES_PER_FACE = 12 * 2**20  # with the last scale's optimizer and targets freed first
FIXED_BYTES = 32 * 2**20
WHOLE_IMAGE_BYTES_PER_PIXEL = 200
HEADROOM = 1.25  # a job is admitted when HEADROOM × its estimate fits
MIN_END_SCALE = 32
CPU_TILE_SIZE = 512
"""Pixels: the largest automatic tile on a CPU (and MPS). A window's activations are then a
512-px run's (about 0.9 GiB), while with 16-px margins the windows cover only 1.06 times each
side of a large image (docs/large-images.md, Size, time and memory)."""
CPU_MEMORY_BUDGET = 1.3
"""The automatic CPU tile keeps a job's estimate within this many times the estimate of the
same job at a 512-px end scale, untiled (so its peak resident memory, models included, stays
within about 1.2 times that run's; bench/RESULTS.md, Full-resolution memory)."""
CPU_SMALLEST_AUTO_TILE = 256
"""Pixels: the automatic CPU tile is never smaller. Below it a window's activations are at most
0.22 GB, so a smaller tile saves little while its windows' 16-px margins make VGG-19 compute
``(t / (t - 32))²`` times the image's pixels: 1.31 at 256, 1.44 at 192, 1.78 at 128, 4.0 at
64 (1.14 at 512)."""
REFERENCE_SCALE = 512
"""Pixels: the end scale of the untiled job :data:`CPU_MEMORY_BUDGET` is a multiple of."""
GB = 1e9


def default_tile_size(device: torch.device | str) -> int:
    """The largest tile a job with ``tile_size`` not set runs with on ``device``: 0 (untiled)
    on CUDA, where :func:`plan_tile_size` tiles only what free memory needs; else
    :data:`CPU_TILE_SIZE` (:func:`auto_tile_size` may choose a smaller one)."""
    return 0 if torch.device(device).type == "cuda" else CPU_TILE_SIZE


def auto_tile_size(options: Options, content_size: tuple[int, int],
                   style_sizes: Sequence[tuple[int, int]], device: torch.device | str,
                   budget: float = CPU_MEMORY_BUDGET) -> int:
    """The tile size (pixels; 0 untiled) of a job with ``tile_size`` not set on ``device``:
    0 on CUDA; else the largest multiple of :data:`~backend.engine.tiles.ALIGN` from
    :data:`CPU_TILE_SIZE` down to :data:`CPU_SMALLEST_AUTO_TILE` whose estimate
    (:func:`estimate_peak_bytes`) is within ``budget`` (a ratio, default
    :data:`CPU_MEMORY_BUDGET`) times the same job's at a :data:`REFERENCE_SCALE`-px end scale,
    untiled; :data:`CPU_SMALLEST_AUTO_TILE` when none is (at 1.3, when the whole-image tensors
    alone come near the budget: from about 2100 × 1575 px at 4:3).

    ``content_size`` and ``style_sizes``: ``(w, h)`` in pixels. Never raises for valid
    options. Whether the tile fits the device's free memory is :func:`plan_tile_size`'s
    question, not this one's."""
    largest = default_tile_size(device)
    if largest == 0:
        return 0
    reference = options.replace(end_scale=REFERENCE_SCALE, tile_size=0,
                                min_scale=min(options.min_scale, REFERENCE_SCALE))
    most = budget * estimate_peak_bytes(reference, content_size, style_sizes, device)
    for tile_size in range(largest, CPU_SMALLEST_AUTO_TILE - 1, -ALIGN):
        if estimate_peak_bytes(options.replace(tile_size=tile_size), content_size,
                               style_sizes, device) <= most:
            return tile_size
    return CPU_SMALLEST_AUTO_TILE


def requested_tile_size(options: Options, device: torch.device | str,
                        content_size: tuple[int, int] | None = None,
                        style_sizes: Sequence[tuple[int, int]] = ()) -> int:
    """``options.tile_size``; when it is not set, :func:`auto_tile_size` for a content of
    ``content_size`` ``(w, h)``, or :func:`default_tile_size` when that is not given."""
    if options.tile_size is not None:
        return options.tile_size
    if content_size is None:
        return default_tile_size(device)
    return auto_tile_size(options, content_size, style_sizes, device)


def _window_pixels(size: tuple[int, int], tile_size: int) -> int:
    """Pixels of the largest window of a scale of ``size`` ``(w, h)`` in ``tile_size`` tiles
    (0: the whole scale)."""
    if not needs_tiles((size[1], size[0]), tile_size):
        return size[0] * size[1]
    return min(size[0], tile_size) * min(size[1], tile_size)


def estimate_peak_bytes(options: Options, content_size: tuple[int, int],
                        style_sizes: Sequence[tuple[int, int]],
                        device: torch.device | str = "cpu") -> int:
    """Bytes the job needs above the loaded models at its peak (see the module's model), with
    the tile size :func:`requested_tile_size` gives on ``device``.

    ``content_size`` and ``style_sizes``: ``(w, h)`` of the images as submitted, in pixels. On
    CUDA the same model holds to within its allocator's rounding. Never raises for valid
    options."""
    tile_size = requested_tile_size(options, device, content_size, style_sizes)
    final = job_scales(options, content_size)[-1]
    w, h = size_to_fit(content_size, final, scale_up=True)
    window = _window_pixels((w, h), tile_size)
    whole = WHOLE_IMAGE_BYTES_PER_PIXEL * w * h if window < w * h else 0
    iteration = TRAINING_BYTES_PER_PIXEL * window + whole
    faces = len(options.face_boxes) if options.face_boxes else MAX_FACES
    if options.faces_enabled:
        iteration += FACE_TERMS_BYTES * min(faces, MAX_FACES)
    styles = max((_window_pixels(style_size(size, final, options), tile_size)
                  for size in style_sizes), default=0)
    style_grams = INFERENCE_BYTES_PER_PIXEL * styles
    report = FIDELITY_BYTES_PER_FACE * min(faces, FACE_CHUNK)
    return FIXED_BYTES + max(iteration, style_grams, report)


def plan_tile_size(options: Options, content_size: tuple[int, int],
                   style_sizes: Sequence[tuple[int, int]], device: torch.device | str,
                   budget: int | None) -> int:
    """The tile size (pixels; 0 untiled) a job runs with: :func:`requested_tile_size`, or when
    its estimate with :data:`HEADROOM` exceeds ``budget`` bytes (None: unknown, anything fits)
    and tiling is not turned off (``tile_size`` 0), the largest smaller tile (a multiple of
    :data:`~backend.engine.tiles.ALIGN`) that fits.

    Raises :class:`~backend.engine.events.OutOfMemory` with one line naming the sizes that fit
    when none does (or when ``tile_size`` 0 does not)."""
    requested = requested_tile_size(options, device, content_size, style_sizes)

    def fits(tile_size: int) -> bool:
        need = estimate_peak_bytes(options.replace(tile_size=tile_size), content_size,
                                   style_sizes, device)
        return budget is None or HEADROOM * need <= budget

    if fits(requested):
        return requested
    final = job_scales(options, content_size)[-1]
    long_side = max(size_to_fit(content_size, final, scale_up=True))
    largest = min(requested or long_side, long_side) - 1
    low, high = MIN_TILE_SIZE // ALIGN, largest // ALIGN
    if options.tile_size != 0 and high >= low and fits(low * ALIGN):
        while low < high:
            middle = (low + high + 1) // 2
            low, high = (middle, high) if fits(middle * ALIGN) else (low, middle - 1)
        return low * ALIGN
    raise OutOfMemory(_refusal(options, content_size, style_sizes, device, budget or 0))


def _refusal(options: Options, content_size: tuple[int, int],
             style_sizes: Sequence[tuple[int, int]], device: torch.device | str,
             budget: int) -> str:
    """The one line of a job that fits ``budget`` bytes in no tile size it may use."""
    tiled = options.tile_size != 0
    smallest = options.replace(tile_size=MIN_TILE_SIZE) if tiled else options
    need = estimate_peak_bytes(smallest, content_size, style_sizes, device)
    end = options.end_scale or max(content_size)
    fits = largest_end_scale_that_fits(smallest, content_size, style_sizes, budget, device)
    advice = []
    if fits is not None and fits < end:
        advice.append(f"end_scale {fits} fits")
    if not tiled and fits_in_tiles(options, content_size, style_sizes, device, budget):
        advice.append(f"tile_size {CPU_TILE_SIZE} fits")
    if not advice:
        advice.append("use a smaller style_size or style_scale_fac"
                      if options.style_size is not None or options.style_scale_fac > 1
                      else "free memory or use a device with more")
    where = f" even in {MIN_TILE_SIZE}-px tiles" if tiled else " untiled (tile_size 0)"
    return (f"this job needs about {need / GB:.2f} GB at end_scale {end}{where} but "
            f"{device} has {budget / GB:.2f} GB free for it: {' or '.join(advice)}")


def fits_in_tiles(options: Options, content_size: tuple[int, int],
                  style_sizes: Sequence[tuple[int, int]], device: torch.device | str,
                  budget: int) -> bool:
    """Whether the job fits ``budget`` bytes in :data:`CPU_TILE_SIZE`-px tiles."""
    tiled = options.replace(tile_size=CPU_TILE_SIZE)
    return HEADROOM * estimate_peak_bytes(tiled, content_size, style_sizes, device) <= budget


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


_memory_limit: int | None = None
"""Bytes: the limit set by :func:`set_memory_limit` (``serve --memory-limit-mb``), or None."""


def set_memory_limit(limit_bytes: int | None) -> None:
    """Plan every job of this process against ``limit_bytes`` of process memory (resident set,
    bytes, > 0) instead of what the system reports; None returns to the system's report. For a
    machine whose report misleads (memory that other tenants' caches will give back, a limit
    the kernel does not show) and for tests of the out-of-memory path. Raises
    :class:`ValueError` for a limit that is not positive."""
    global _memory_limit
    if limit_bytes is not None and limit_bytes <= 0:
        raise ValueError(f"the memory limit must be positive, not {limit_bytes} bytes")
    _memory_limit = limit_bytes


def _limit_headroom() -> int:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        pages = 0
    return max(_memory_limit - pages * resource.getpagesize(), 0)


def available_bytes(device: torch.device | str = "cpu") -> int | None:
    """Bytes a job may still allocate on ``device`` now: on CUDA the free memory plus what
    torch's cache holds unused; on the CPU the least of the system's available memory, the
    memory cgroup's headroom and the address-space limit's, or, when
    :func:`set_memory_limit` gave one, that limit less the resident set. None when unknown
    (MPS, or no /proc)."""
    device = torch.device(device)
    if device.type == "cpu" and _memory_limit is not None:
        return _limit_headroom()
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
