"""One iteration's gradient computed tile by tile (docs/large-images.md, Tiles).

The terms that read VGG-19 features (content, style) are computed on one tile window at a time,
a forward and a backward each, so the activations kept for the backward pass follow the tile
size, not the image's; their gradients accumulate in the whole image's ``grad``. The terms that
read only the image (TV, the face terms, whose crops come from the whole image) are computed on
the whole image as in an untiled step. The caller then takes one Adam step and one iterate
average update of the whole image.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from backend.engine.terms import Prepared
from backend.engine.tiles import MovingGrid, Tile, TilePass
from backend.models.vgg import VGGFeatures, in_network_order

Losses = dict[str, torch.Tensor]


class TiledStep:
    """The gradient of the iterate at one scale, computed tile by tile on a moving grid.

    ``model``: the job's VGG-19; ``prepared``: each term with its targets at this scale;
    ``grid``: the job's :class:`~backend.engine.tiles.MovingGrid`, asked for a new grid at
    every call; ``image``: the iterate ``(1, 3, H, W)`` in [0, 1]. On creation one pass over
    the tiles without gradients gathers the whole-image sums the terms need (content's
    normalisation, style's Gram matrices), so the first step is already exact; each later
    step uses those its previous pass gathered. ``between_tiles`` (when given) is called before
    each tile, e.g. to check for cancellation by raising.
    """

    def __init__(self, model: VGGFeatures, prepared: Prepared, grid: MovingGrid,
                 image: torch.Tensor, between_tiles: Callable[[], None] | None = None) -> None:
        self.model, self.grid, self.between_tiles = model, grid, between_tiles
        self.prepared = list(prepared)
        self.per_tile = [(term, targets) for term, targets in prepared if term.vgg_layers]
        self.whole = [(term, targets) for term, targets in prepared if not term.vgg_layers]
        self.layers = in_network_order([layer for term, _ in self.per_tile
                                        for layer in term.vgg_layers])
        self.sums: dict[str, torch.Tensor] = {}
        self.older: dict[str, torch.Tensor] = {}
        with torch.no_grad():
            self.over_tiles(image, self.next_grid(image), backward=False)

    def next_grid(self, image: torch.Tensor) -> list[Tile]:
        return self.grid.next(tuple(image.shape[-2:]))

    def __call__(self, image: torch.Tensor) -> Losses:
        """Add to ``image.grad`` the gradient of the sum of the terms; returns each named loss
        (a detached scalar), in the terms' order, as an untiled step would."""
        values: dict[int, Losses] = {}
        whole = {id(term): term.losses({"input": image}, targets) for term, targets in self.whole}
        if whole:
            sum(loss for losses in whole.values() for loss in losses.values()).backward()
        values.update(whole)
        values.update(self.over_tiles(image, self.next_grid(image), backward=True))
        return {name: loss.detach() for term, _ in self.prepared
                for name, loss in values[id(term)].items()}

    def over_tiles(self, image: torch.Tensor, tiles: list[Tile], backward: bool
                   ) -> dict[int, Losses]:
        """One pass of the per-tile terms over ``tiles``: their values summed over the tiles,
        by term; with ``backward``, each tile's gradient added to ``image.grad``. The sums
        gathered on the pass become the next pass's ``previous``, and its ``previous`` its
        ``older``."""
        if not self.per_tile:
            return {}
        pixels = image.shape[-2] * image.shape[-1]
        current: dict[str, torch.Tensor] = {}
        totals: dict[int, Losses] = {id(term): {} for term, _ in self.per_tile}
        for tile in tiles:
            if self.between_tiles is not None:
                self.between_tiles()
            part = TilePass(tile, tile.core_pixels / pixels, self.sums, current, self.older)
            features = self.model(tile.window(image), layers=self.layers)
            shares = {id(term): term.tile_losses(features, targets, part)
                      for term, targets in self.per_tile}
            if backward:
                sum(loss for losses in shares.values() for loss in losses.values()).backward()
            for key, losses in shares.items():
                for name, loss in losses.items():
                    totals[key][name] = totals[key].get(name, 0) + loss.detach()
        self.older, self.sums = self.sums, current
        return totals
