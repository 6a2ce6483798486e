"""The tile grid: cores partition the image (pixels and feature maps), windows carry context and
stay within the tile size, the grid moves every iteration."""

from __future__ import annotations

import pytest
import torch

from backend.engine.tiles import (
    ALIGN,
    CONTEXT,
    MIN_TILE_SIZE,
    MovingGrid,
    Tile,
    TileSizeError,
    axis_spans,
    context_margin,
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
    tiles = tile_grid(SIZE_HW, 96, context_margin(96), offset=(32, 48))
    counts = _core_counts(tiles, SIZE_HW, stride)
    assert counts.min() == 1 and counts.max() == 1


@pytest.mark.parametrize("stride", [1, 8, 16])
def test_a_core_in_a_window_is_the_same_positions_as_in_the_image(stride: int) -> None:
    # positions numbered in the image must read back the same numbers through each window
    numbered = torch.arange(SIZE_HW[0] * SIZE_HW[1], dtype=torch.float64).reshape(1, 1, *SIZE_HW)
    for tile in tile_grid(SIZE_HW, 96, context_margin(96), offset=(16, 64)):
        image_map = numbered[..., ::stride, ::stride][..., :SIZE_HW[0] // stride,
                                                       :SIZE_HW[1] // stride]
        window = tile.window(numbered)
        window_map = window[..., ::stride, ::stride][..., :window.shape[-2] // stride,
                                                     :window.shape[-1] // stride]
        assert torch.equal(window_map[(..., *tile.core_in_window(stride))],
                           image_map[(..., *tile.core_in_image(stride))])


def test_windows_stay_within_the_tile_size_and_carry_the_margin_inside_the_image() -> None:
    tile_size, margin = 160, context_margin(160)
    for tile in tile_grid((400, 330), tile_size, margin, offset=(48, 80)):
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
    (span,) = axis_spans(96, 96, 16, offset=32)
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
