"""The tile grid of a tiled step (docs/large-images.md, Tiles).

Above ``tile_size`` one Adam step of the whole image is computed tile by tile. Each tile has a
*core*, the pixels it answers for, and a *window*, the core plus up to ``margin`` pixels of
context on every side (clipped at the image): VGG-19 sees the window, the per-position terms
count the core only. The cores of one grid partition the image exactly, so no pixel (and, since
every core edge inside the image and every window start lie on multiples of :data:`ALIGN`, no
feature position at a stride dividing :data:`ALIGN`) is counted twice or left out.

An axis gets the fewest tiles whose windows stay within ``tile_size`` and still leave the grid
room to move (:func:`first_core_range`). The grid moves every iteration: :class:`MovingGrid`
draws the first core's length (a multiple of :data:`ALIGN`), which shifts every inner border,
so no tile border stays in one place long enough to leave a seam, as crowsonkb's Caffe
``style_transfer`` moved its tiles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from backend.engine.events import EngineError
from backend.models.vgg import VGGFeatures, layer_stride
from shared.options import MIN_TILE_SIZE

ALIGN = 16
"""Pixels: VGG-19's stride at relu5_1 (four 2×2 poolings). Windows start and inner core edges
lie on multiples of it, so a window's pooling grid is the whole image's."""

CONTEXT = 48
"""Pixels of context a window carries beyond its core when the tile is large enough: at least
the 38-pixel reach of relu4_2's 84-pixel receptive field, so the content features of a core are
those of the whole image (rounded up to :data:`ALIGN`)."""


class TileSizeError(EngineError):
    """A tile size too small to hold a core inside its context margins."""


@dataclass(frozen=True)
class Span:
    """One tile along one axis, in pixels: ``core`` ``[start, stop)`` inside ``window``
    ``[start, stop)``, both within ``[0, length)`` of the image's axis."""

    core: tuple[int, int]
    window: tuple[int, int]
    length: int

    def pixels(self) -> slice:
        """The window's pixels in the image."""
        return slice(*self.window)

    def core_in_window(self, stride: int = 1) -> slice:
        """The core's positions in the window's feature map at ``stride`` (a divisor of
        :data:`ALIGN`; 1 for pixels)."""
        start = (self.core[0] - self.window[0]) // stride
        if self.core[1] == self.length:
            return slice(start, None)
        return slice(start, (self.core[1] - self.window[0]) // stride)

    def core_in_image(self, stride: int = 1) -> slice:
        """The core's positions in the whole image's feature map at ``stride``."""
        stop = None if self.core[1] == self.length else self.core[1] // stride
        return slice(self.core[0] // stride, stop)


@dataclass(frozen=True)
class Tile:
    """One tile: its ``rows`` and ``cols`` spans."""

    rows: Span
    cols: Span

    def window(self, image: torch.Tensor) -> torch.Tensor:
        """The window of ``image`` ``(N, C, H, W)``: a view, so gradients reach the image."""
        return image[..., self.rows.pixels(), self.cols.pixels()]

    def core_in_window(self, stride: int = 1) -> tuple[slice, slice]:
        return self.rows.core_in_window(stride), self.cols.core_in_window(stride)

    def core_in_image(self, stride: int = 1) -> tuple[slice, slice]:
        return self.rows.core_in_image(stride), self.cols.core_in_image(stride)

    @property
    def core_pixels(self) -> int:
        return (self.rows.core[1] - self.rows.core[0]) * (self.cols.core[1] - self.cols.core[0])


def needs_tiles(size_hw: tuple[int, int], tile_size: int) -> bool:
    """Whether an image of ``size_hw`` (pixels) is computed in tiles: ``tile_size`` > 0 and a
    side longer than it."""
    return tile_size > 0 and max(size_hw) > tile_size


def context_margin(tile_size: int) -> int:
    """The context (pixels, a multiple of :data:`ALIGN`) a window of ``tile_size`` carries on
    each side when it must be exact (targets, computed once per scale): :data:`CONTEXT`, or a
    quarter of the tile rounded down to :data:`ALIGN` for tiles under ``4 × CONTEXT``. Raises
    :class:`TileSizeError` below :data:`MIN_TILE_SIZE`."""
    if tile_size < MIN_TILE_SIZE:
        raise TileSizeError(f"tile_size {tile_size} is too small: tiles need at least "
                            f"{MIN_TILE_SIZE} px (or 0 to never tile)")
    return min(CONTEXT, tile_size // 4 // ALIGN * ALIGN)


def _aligned_down(value: int) -> int:
    return value // ALIGN * ALIGN


def core_size(tile_size: int, margin: int) -> int:
    """The side of a full inner core (pixels, a multiple of :data:`ALIGN`): what is left of
    ``tile_size`` inside two margins. Raises :class:`TileSizeError` when that is under
    :data:`ALIGN`."""
    core = _aligned_down(tile_size - 2 * margin)
    if core < ALIGN or margin % ALIGN or margin < 0:
        raise TileSizeError(f"a {tile_size}-px tile with {margin}-px margins leaves no "
                            f"{ALIGN}-aligned core")
    return core


def _axis_layout(length: int, tile_size: int, margin: int) -> tuple[int, int, int]:
    """``(count, low, high)``: the number of tiles along an axis of ``length`` > ``tile_size``
    and the first core's range (see :func:`first_core_range`)."""
    inner = core_size(tile_size, margin)
    edge = _aligned_down(tile_size - margin)
    travel = max(ALIGN, _aligned_down(inner // 2))
    count = 2
    while 2 * edge + (count - 2) * inner < length + travel:
        count += 1
    rest = length - (count - 2) * inner  # the two edge cores' pixels
    low = -(-max(ALIGN, rest - edge) // ALIGN) * ALIGN
    high = _aligned_down(min(edge, rest - ALIGN))
    return count, low, max(low, high)


def first_core_range(length: int, tile_size: int, margin: int) -> tuple[int, int]:
    """The lengths (pixels, multiples of :data:`ALIGN`, ``low`` to ``high`` inclusive) the first
    core of an axis of ``length`` > ``tile_size`` may take; the others follow from it.

    The axis gets the fewest tiles that leave the grid room to move by at least half an inner
    core: inner cores are full (:func:`core_size`), the two edge cores (one margin each, the
    image's edge on their other side) share the rest, so every window stays within
    ``tile_size``. The first core's length is where the grid moves."""
    _, low, high = _axis_layout(length, tile_size, margin)
    return low, high


def axis_spans(length: int, tile_size: int, margin: int,
               first_core: int | None = None) -> list[Span]:
    """The tiles along one image axis of ``length`` pixels: one span covering it when it fits in
    ``tile_size``; otherwise a first core of ``first_core`` pixels (within
    :func:`first_core_range`; None: the middle of it), full inner cores, and a last core to the
    image's edge, each window its core plus ``margin`` on each side within the image."""
    if length <= tile_size:
        return [Span((0, length), (0, length), length)]
    count, low, high = _axis_layout(length, tile_size, margin)
    first = _aligned_down((low + high) // 2) if first_core is None else first_core
    if not low <= first <= high or first % ALIGN:
        raise TileSizeError(f"a first core of {first} px is outside {low}..{high} px or not "
                            f"a multiple of {ALIGN}")
    inner = core_size(tile_size, margin)
    edges = [0, *(first + k * inner for k in range(count - 1)), length]
    return [Span((start, stop), (max(0, start - margin), min(length, stop + margin)), length)
            for start, stop in zip(edges, edges[1:], strict=False)]


def tile_grid(size_hw: tuple[int, int], tile_size: int, margin: int,
              first_cores: tuple[int | None, int | None] = (None, None)) -> list[Tile]:
    """The tiles of an image of ``size_hw`` (pixels), row by row, the first core along the rows
    and the columns ``first_cores`` pixels long (:func:`axis_spans`). Every window is at most
    ``tile_size`` on each side."""
    rows = axis_spans(size_hw[0], tile_size, margin, first_cores[0])
    cols = axis_spans(size_hw[1], tile_size, margin, first_cores[1])
    return [Tile(r, c) for r in rows for c in cols]


STEP_MARGIN = ALIGN
"""Pixels of context the windows of an iteration carry: one :data:`ALIGN`. The features of a
core's outer positions then differ from the whole image's, but the grid moves every iteration,
so no position is near a border for long; a full :data:`CONTEXT` would make a 512-px tile's
windows cover 1.4 times the pixels of a 1024-px image instead of 1.13 (docs/large-images.md,
Tiles)."""


class MovingGrid:
    """A tile grid that moves every time it is asked for: each call to :meth:`next` draws the
    first core's length along each axis uniformly among those :func:`first_core_range`
    allows, from a generator seeded with ``seed``, so a run is reproducible. ``margin``:
    the context of an iteration's windows (default :data:`STEP_MARGIN`, at most
    :func:`context_margin`)."""

    def __init__(self, tile_size: int, seed: int = 0, margin: int | None = None) -> None:
        self.tile_size = tile_size
        full = context_margin(tile_size)
        self.margin = min(STEP_MARGIN, full) if margin is None else margin
        self.core = core_size(tile_size, self.margin)
        self.generator = torch.Generator().manual_seed(seed)

    def _first_core(self, length: int) -> int | None:
        if length <= self.tile_size:
            return None
        low, high = first_core_range(length, self.tile_size, self.margin)
        step = int(torch.randint(0, (high - low) // ALIGN + 1, (1,), generator=self.generator))
        return low + step * ALIGN

    def next(self, size_hw: tuple[int, int]) -> list[Tile]:
        """The grid of the next iteration for an image of ``size_hw`` (pixels)."""
        firsts = (self._first_core(size_hw[0]), self._first_core(size_hw[1]))
        return tile_grid(size_hw, self.tile_size, self.margin, firsts)

    def still(self, size_hw: tuple[int, int]) -> list[Tile]:
        """The grid for work done once per scale (targets), which no later iteration repeats:
        in the middle of its range, with the full :func:`context_margin`, for an image of
        ``size_hw`` (pixels)."""
        return tile_grid(size_hw, self.tile_size, context_margin(self.tile_size))


@torch.no_grad()
def stitched_features(model: VGGFeatures, image: torch.Tensor, layers: Sequence[str],
                      tiles: list[Tile]) -> dict[str, torch.Tensor]:
    """VGG-19 activations of ``image`` ``(1, 3, H, W)`` at ``layers`` (each ``(1, C, H // s,
    W // s)`` at its stride ``s``), computed window by window without gradients, each tile's
    core copied into the whole maps; ``"input"`` is ``image``. Where windows carry the
    receptive field's context (:data:`CONTEXT`) they equal ``model(image, layers)``."""
    maps: dict[str, torch.Tensor] = {"input": image}
    height, width = image.shape[-2:]
    for tile in tiles:
        features = model(tile.window(image), layers=layers)
        for layer in layers:
            stride = layer_stride(layer)
            if layer not in maps:
                channels = features[layer].shape[1]
                maps[layer] = image.new_zeros(1, channels, height // stride, width // stride)
            maps[layer][(..., *tile.core_in_image(stride))] = (
                features[layer][(..., *tile.core_in_window(stride))])
    return maps


@dataclass
class TilePass:
    """What a loss term sees of one tile during a tiled step.

    ``tile``: the tile, whose window's features the term is given; ``share``: its core's
    fraction of the image's pixels, in (0, 1] (the shares of one grid sum to 1); ``previous``:
    whole-image sums the terms gathered on the last pass over the image (empty on the first);
    ``current``: the same sums being gathered on this pass, each tile adding its core's;
    ``older``: those of the pass before ``previous`` (empty until there is one).
    """

    tile: Tile
    share: float
    previous: dict[str, torch.Tensor]
    current: dict[str, torch.Tensor]
    older: dict[str, torch.Tensor] = field(default_factory=dict)

    def gather(self, key: str, value: torch.Tensor) -> None:
        """Add this tile's ``value`` (a scalar, detached here) to the pass's sum ``key``."""
        value = value.detach()
        self.current[key] = self.current[key] + value if key in self.current else value
