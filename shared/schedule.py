"""The coarse-to-fine ladder of a job: its scales, the size of each and its iterations.

The engine paints at each scale in turn; a client uses the same ladder to say how much work a
job is (:mod:`shared.job_time`). Pure Python.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.options import HIGH_SCALE, HIGH_SCALE_ITERATIONS, Options
from shared.presets import with_preset


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
    ``initial_iterations`` at the first, then ``iterations``; at scales above
    :data:`shared.options.HIGH_SCALE` ``high_scale_iterations``, or when it is not set
    ``iterations`` but at most :data:`shared.options.HIGH_SCALE_ITERATIONS` (they refine
    detail; the measurement behind the number: docs/large-images.md, Large sizes)."""
    high = (options.high_scale_iterations if options.high_scale_iterations is not None
            else min(options.iterations, HIGH_SCALE_ITERATIONS))
    later = [high if scale > HIGH_SCALE else options.iterations for scale in scales[1:]]
    return [options.initial_iterations, *later]



@dataclass(frozen=True)
class ScaleStep:
    """One rung of the ladder: the image size painted at and the iterations spent there."""

    width: int
    height: int
    iterations: int


def scale_plan(options: Options, content_size: tuple[int, int]) -> list[ScaleStep]:
    """The scales a job on content of ``content_size`` (w, h) goes through, in order, with
    the iterations its preset (if any) gives them (an early stop may end a scale sooner)."""
    options = with_preset(options)
    scales = job_scales(options, content_size)
    return [ScaleStep(*size_to_fit(content_size, scale, scale_up=True), iterations)
            for scale, iterations in zip(scales, scale_iterations(options, scales), strict=True)]
