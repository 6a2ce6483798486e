"""The tile grid: cores partition the image (pixels and feature maps), windows carry context and
stay within the tile size, the grid moves every iteration."""

from __future__ import annotations

import pytest
import torch

from backend.engine.tiles import (
    ALIGN,
    CONTEXT,
    MIN_TILE_SIZE,
    STEP_MARGIN,
    MovingGrid,
    Tile,
    TileSizeError,
    axis_spans,
    context_margin,
    first_core_range,
    needs_tiles,
    tile_grid,
)

SIZE_HW = (203, 190)  # neither side a multiple of ALIGN


def _core_counts(tiles: list[Tile], size_hw: tuple[int, int], stride: int) -> torch.Tensor:
    """How many cores claim each position of the feature map at ``stride``."""
    counts = torch.zeros(size_hw[0] // stride, size_hw[1] // stride, dtype=torch.int64)
    for tile in tiles:
        counts[tile.core_in_image(stride)] += 1
    return counts


def _inner_column_edges(tiles: list[Tile]) -> set[int]:
    return {tile.cols.core[0] for tile in tiles} - {0}


def test_every_grid_of_the_moving_grid_covers_every_pixel_exactly_once() -> None:
    grid = MovingGrid(96, seed=3)
    for _ in range(12):
        counts = _core_counts(grid.next(SIZE_HW), SIZE_HW, 1)
        assert counts.min() == 1 and counts.max() == 1


@pytest.mark.parametrize("stride", [2, 4, 8, 16])
def test_cores_partition_the_feature_maps_at_every_vgg_stride(stride: int) -> None:
    tiles = tile_grid(SIZE_HW, 96, context_margin(96), first_cores=(32, 64))
    counts = _core_counts(tiles, SIZE_HW, stride)
    assert counts.min() == 1 and counts.max() == 1


@pytest.mark.parametrize("stride", [1, 8, 16])
def test_a_core_in_a_window_is_the_same_positions_as_in_the_image(stride: int) -> None:
    # positions numbered in the image must read back the same numbers through each window
    numbered = torch.arange(SIZE_HW[0] * SIZE_HW[1], dtype=torch.float64).reshape(1, 1, *SIZE_HW)
    for tile in tile_grid(SIZE_HW, 96, context_margin(96), first_cores=(16, 64)):
        image_map = numbered[..., ::stride, ::stride][..., :SIZE_HW[0] // stride,
                                                       :SIZE_HW[1] // stride]
        window = tile.window(numbered)
        window_map = window[..., ::stride, ::stride][..., :window.shape[-2] // stride,
                                                     :window.shape[-1] // stride]
        assert torch.equal(window_map[(..., *tile.core_in_window(stride))],
                           image_map[(..., *tile.core_in_image(stride))])


def test_windows_stay_within_the_tile_size_and_carry_the_margin_inside_the_image() -> None:
    tile_size, margin = 160, context_margin(160)
    for tile in tile_grid((400, 330), tile_size, margin):
        for span in (tile.rows, tile.cols):
            (core_start, core_stop), (start, stop) = span.core, span.window
            assert stop - start <= tile_size
            assert start == max(0, core_start - margin)
            assert stop == min(span.length, core_stop + margin)
            assert start % ALIGN == 0


def test_the_margin_is_the_relu4_2_context_for_large_tiles_and_a_quarter_for_small_ones() -> None:
    assert context_margin(512) == CONTEXT
    assert context_margin(96) == 16
    assert context_margin(MIN_TILE_SIZE) == ALIGN


def test_a_tile_size_below_the_minimum_is_refused() -> None:
    with pytest.raises(TileSizeError, match=f"at least {MIN_TILE_SIZE} px"):
        MovingGrid(MIN_TILE_SIZE - 1)


def test_an_axis_that_fits_in_a_tile_is_one_span_over_all_of_it() -> None:
    (span,) = axis_spans(96, 96, 16)
    assert span.core == span.window == (0, 96)


def test_an_image_is_tiled_only_when_a_side_is_longer_than_the_tile() -> None:
    assert not needs_tiles((96, 96), 96)
    assert needs_tiles((96, 97), 96)
    assert not needs_tiles((4000, 3000), 0)


def test_no_inner_tile_border_stays_in_place_over_the_iterations() -> None:
    grid = MovingGrid(96, seed=0)
    edges = [_inner_column_edges(grid.next(SIZE_HW)) for _ in range(16)]
    assert set.intersection(*edges) == set()
    assert len({frozenset(e) for e in edges}) > 1


def test_the_moving_grid_is_the_same_for_the_same_seed() -> None:
    first, second = MovingGrid(96, seed=7), MovingGrid(96, seed=7)
    assert [first.next(SIZE_HW) for _ in range(5)] == [second.next(SIZE_HW) for _ in range(5)]


@pytest.mark.parametrize(("length", "tile_size", "margin"), [
    (203, 96, 16), (600, 512, 16), (1024, 512, 16), (1024, 512, 48), (3000, 512, 16)])
def test_every_first_core_in_its_range_gives_cores_that_partition_the_axis(
        length: int, tile_size: int, margin: int) -> None:
    low, high = first_core_range(length, tile_size, margin)
    assert high - low >= ALIGN  # room to move
    for first in range(low, high + 1, ALIGN):
        spans = axis_spans(length, tile_size, margin, first)
        assert spans[0].core[0] == 0 and spans[-1].core[1] == length
        assert all(a.core[1] == b.core[0] for a, b in zip(spans, spans[1:], strict=False))
        assert all(s.window[1] - s.window[0] <= tile_size for s in spans)
        assert all(s.core[1] - s.core[0] >= ALIGN for s in spans)


def test_a_first_core_outside_its_range_is_refused() -> None:
    low, _ = first_core_range(1024, 512, STEP_MARGIN)
    with pytest.raises(TileSizeError, match="outside"):
        axis_spans(1024, 512, STEP_MARGIN, low - ALIGN)


def test_the_windows_of_a_moving_512_px_grid_cover_a_1024_px_image_at_most_1_13_times() -> None:
    grid = MovingGrid(512, seed=1)
    for _ in range(20):
        tiles = grid.next((1024, 1024))
        assert len(tiles) == 9
        covered = sum((t.rows.window[1] - t.rows.window[0]) * (t.cols.window[1] - t.cols.window[0])
                      for t in tiles)
        assert covered <= 1.13 * 1024 * 1024


def test_the_moving_grid_carries_one_align_of_context_and_the_still_grid_the_full_context() -> None:
    grid = MovingGrid(512)
    assert grid.margin == STEP_MARGIN == ALIGN
    inner = grid.still((1024, 1024))[4]
    assert inner.rows.core[0] - inner.rows.window[0] == CONTEXT
