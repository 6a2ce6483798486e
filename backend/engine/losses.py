"""The loss terms of Crowson's style transfer: content, style (Gram matrices) and total
variation (docs/engine.md, The method; the paper's eq. 8 and 9).

Each term is a :class:`~backend.engine.terms.LossTerm`: targets per scale, weighted losses per
iteration. Weights are float32 tensors on the job's device, as the reference's ``Scale``
buffers are, so the arithmetic matches it bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING

import torch
from torch.nn import functional as F

from backend.engine.images import SourceImage
from backend.engine.schedule import size_to_fit
from backend.engine.style_cache import GramTargets, StyleTargetCache
from backend.engine.terms import Features, Job, LossTerm, ScaleInputs
from backend.engine.tiles import (
    Tile,
    TilePass,
    context_margin,
    needs_tiles,
    tile_grid,
)
from backend.models.bundle import ModelNeed
from backend.models.vgg import VGGFeatures, layer_stride
from shared.options import Options

if TYPE_CHECKING:
    from backend.models.bundle import ModelBundle

EPS = 1e-8
CONTENT_LAYERS = ("relu4_2",)
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
STYLE_LAYER_WEIGHTS = (256, 64, 16, 4, 1)


def scaled_squared_error(input: torch.Tensor, target: torch.Tensor,
                         eps: float = EPS) -> torch.Tensor:
    """``Σ(x−t)² / (Σ|x−t| + ε)`` over tensors of one shape, a scalar: squared error whose
    gradient has an L1 norm of about 1 (the paper's "normalized squared error", eq. 8;
    Crowson's ``ScaledMSELoss``)."""
    diff = input - target
    return diff.pow(2).sum() / diff.abs().sum().add(eps)


def scaled_squared_error_share(diff: torch.Tensor, part: TilePass, key: str,
                               eps: float = EPS) -> torch.Tensor:
    """One tile's share of ``E`` (:func:`scaled_squared_error`) over a whole map, from the
    differences ``diff`` at the positions of the tile's core: value ``Σd² / (S₁ + ε)`` and
    gradient ``2d / (S₁ + ε) − S₂ sign(d) / (S₁ + ε)²``, which is ``E``'s own, with
    ``S₁ = Σ|d|`` and ``S₂ = Σd²`` over the whole map taken from the last pass (``key`` names
    them in ``part``; a pass with none uses the tile's own). Adds this core's sums for the
    next pass."""
    absolute, squared = diff.abs().sum(), diff.pow(2).sum()
    part.gather(f"{key}/abs", absolute)
    part.gather(f"{key}/squared", squared)
    whole_absolute = part.previous.get(f"{key}/abs", absolute.detach()) + eps
    whole_squared = part.previous.get(f"{key}/squared", squared.detach())
    # (absolute - absolute.detach()) is zero but carries the gradient of Σ|d|.
    return (squared / whole_absolute
            - whole_squared / whole_absolute**2 * (absolute - absolute.detach()))


def gram(features: torch.Tensor) -> torch.Tensor:
    """Gram matrix of ``(N, C, H, W)`` features, normalised by the number of positions H·W
    (as Crowson's code does; the paper's eq. 9 says by the number of filters): ``(N, C, C)``."""
    matrix = features.flatten(-2)
    return matrix @ matrix.transpose(-2, -1) / matrix.shape[-1]


def gram_share(features: torch.Tensor, target: torch.Tensor, part: TilePass, key: str,
               layer: str, eps: float = EPS) -> torch.Tensor:
    """One tile's share of ``E(G, T)`` (:func:`scaled_squared_error`) with ``G`` the whole
    image's Gram matrix at ``layer``, from ``features`` ``(1, C, h, w)`` of the tile's window
    and ``target`` ``T`` ``(1, C, C)``.

    ``G = Σ_tiles F_c F_cᵀ / P`` sums the cores' products (each position once, margins left
    out) over the ``P`` positions of the whole map (as :func:`tiled_grams`). It is estimated
    from the sums of the last two passes over the image (``key`` names them in ``part``):
    ``2 G₁ − G₂``, the linear extrapolation to this iterate (the last pass's ``G₁`` alone
    while there is one; this core's own Gram before any). With ``d = G − T`` there, the
    gradient is ``(∂E/∂G) · ∂(F_c F_cᵀ / P)/∂F_c`` with ``∂E/∂G = 2d / (S₁ + ε) − S₂ sign(d)
    / (S₁ + ε)²`` (``S₁ = Σ|d|``, ``S₂ = Σd²``): the untiled gradient wherever the features
    and ``G`` are the whole image's. The value is ``share × E(G, T)``, so a grid's shares add
    up to the estimated loss. Adds this core's ``F_c F_cᵀ`` to the pass's sums."""
    tile, stride = part.tile, layer_stride(layer)
    core = features[(..., *tile.core_in_window(stride))].flatten(-2)
    positions = (tile.rows.length // stride) * (tile.cols.length // stride)
    product = core @ core.transpose(-2, -1)
    part.gather(key, product)
    last, before = part.previous.get(key), part.older.get(key)
    if last is None:  # no pass yet: this core's own Gram stands for the image's
        estimate = product.detach() / core.shape[-1]
    else:
        estimate = (last if before is None else 2 * last - before) / positions
    diff = estimate - target
    absolute, squared = diff.abs().sum() + eps, diff.pow(2).sum()
    slope = 2 * diff / absolute - squared / absolute**2 * diff.sign()
    surrogate = (slope * product).sum() / positions
    return squared / absolute * part.share + (surrogate - surrogate.detach())


def total_variation(image: torch.Tensor) -> torch.Tensor:
    """L2 total variation of ``(N, C, H, W)``, replicate-padded right and bottom by one:
    ``mean(dx² + dy²)``, a scalar (Mahendran and Vedaldi; Crowson's ``TVLoss``)."""
    padded = F.pad(image, (0, 1, 0, 1), "replicate")
    dx = padded[..., :-1, 1:] - padded[..., :-1, :-1]
    dy = padded[..., 1:, :-1] - padded[..., :-1, :-1]
    return (dx**2 + dy**2).mean()


def normalised(weights: list[float] | tuple[float, ...]) -> list[float]:
    """Weights divided by the sum of their absolute values."""
    total = sum(abs(w) for w in weights)
    return [w / total for w in weights]


def _weight(value: float, device: torch.device | str) -> torch.Tensor:
    return torch.tensor(value, device=device)


def _vgg(options: Options) -> list[ModelNeed]:
    return [ModelNeed("vgg19", options.pooling)]


class ContentLoss(LossTerm[Features]):
    """``content``: ``content_weight / n`` × Σ over the ``n`` content layers of
    ``E(F(x), F(c))``, the iterate's activations against the content's at that scale."""

    names = ("content",)
    vgg_layers = CONTENT_LAYERS

    def __init__(self, content_weight: float, layers: Sequence[str] = CONTENT_LAYERS,
                 device: torch.device | str = "cpu") -> None:
        self.layers = tuple(layers)
        self.layer_weights = {layer: _weight(content_weight / len(self.layers), device)
                              for layer in self.layers}

    @classmethod
    def needs(cls, options: Options) -> list[ModelNeed]:
        return _vgg(options)

    @classmethod
    def for_job(cls, job: Job, models: ModelBundle) -> ContentLoss:
        return cls(job.options.content_weight, device=models.device)

    def prepare(self, inputs: ScaleInputs) -> Features:
        features = inputs.features(inputs.content, self.layers)
        return {layer: features[layer] for layer in self.layers}

    def losses(self, features: Features, targets: Features) -> dict[str, torch.Tensor]:
        return {"content": sum(scaled_squared_error(features[layer], target)
                               * self.layer_weights[layer]
                               for layer, target in targets.items())}

    def tile_losses(self, features: Features, targets: Features,
                    part: TilePass) -> dict[str, torch.Tensor]:
        """The content term at the tile's core positions only (so overlaps count once), with
        the whole image's normalisation (:func:`scaled_squared_error_share`): where windows
        carry the receptive field's context, the gradient is the untiled one."""
        shares = []
        for layer, target in targets.items():
            stride = layer_stride(layer)
            diff = (features[layer][(..., *part.tile.core_in_window(stride))]
                    - target[(..., *part.tile.core_in_image(stride))])
            shares.append(scaled_squared_error_share(diff, part, f"content/{layer}")
                          * self.layer_weights[layer])
        return {"content": sum(shares)}


def style_tile_size(size: tuple[int, int], options: Options) -> int:
    """The tile size a style image of ``size`` ``(w, h)`` is computed in: ``tile_size`` when
    a side exceeds it, else 0 (whole); not set (before :func:`~backend.engine.stylize.stylize`
    plans it for the device) counts as 0."""
    tile_size = options.tile_size or 0
    return tile_size if needs_tiles(size, tile_size) else 0


def _style_grams(model: VGGFeatures, style: SourceImage, size: tuple[int, int],
                 device: torch.device, tile_size: int) -> GramTargets:
    """The Gram matrices of ``style`` at ``size``; in tiles of ``tile_size`` (when not 0)
    summed core by core (:func:`tiled_grams`), so memory follows the tile."""
    image = style.tensor(size).to(device)
    if tile_size:
        size_hw = (size[1], size[0])
        tiles = tile_grid(size_hw, tile_size, context_margin(tile_size))
        return tiled_grams(model, image, STYLE_LAYERS, tiles)
    feats = model(image, layers=STYLE_LAYERS)
    return {layer: gram(feats[layer]) for layer in STYLE_LAYERS}


@torch.no_grad()
def tiled_grams(model: VGGFeatures, image: torch.Tensor, layers: Sequence[str],
                tiles: list[Tile]) -> GramTargets:
    """:func:`gram` of the features of ``image`` ``(1, 3, H, W)`` at ``layers``, computed window
    by window: each core's ``F Fᵀ`` added up, divided by the whole map's positions. Equal to
    :func:`gram` of :func:`~backend.engine.tiles.stitched_features` without holding the
    whole maps (``(1, C, C)`` each)."""
    sums: GramTargets = {}
    height, width = image.shape[-2:]
    for tile in tiles:
        features = model(tile.window(image), layers=layers)
        for layer in layers:
            core = features[layer][(..., *tile.core_in_window(layer_stride(layer)))].flatten(-2)
            product = core @ core.transpose(-2, -1)
            sums[layer] = sums[layer] + product if layer in sums else product
    return {layer: total / ((height // layer_stride(layer)) * (width // layer_stride(layer)))
            for layer, total in sums.items()}


def style_size(size: tuple[int, int], scale: int, options: Options) -> tuple[int, int]:
    """``(w, h)`` of a style image of ``size`` at the scale whose long side is ``scale`` px:
    long side ``round(scale × style_scale_fac)``, or ``style_size`` when set; never enlarged."""
    if options.style_size is None:
        return size_to_fit(size, round(scale * options.style_scale_fac))
    return size_to_fit(size, options.style_size)


def style_targets(model: VGGFeatures, styles: Sequence[SourceImage], weights: Sequence[float],
                  scale: int, options: Options, device: torch.device,
                  cache: StyleTargetCache | None = None,
                  digests: Sequence[str] | None = None) -> GramTargets:
    """Per style layer, the weighted sum over the style images of their Gram matrices
    ``(1, C, C)`` at ``scale``. With a ``cache`` (and each style's ``digests``), Grams seen
    before are reused."""
    targets: GramTargets = {}
    for i, (style, weight) in enumerate(zip(styles, weights, strict=True)):
        size = style_size(style.size, scale, options)
        tile_size = style_tile_size(size, options)
        compute = partial(_style_grams, model, style, size, device, tile_size)
        grams = compute() if cache is None else cache.grams(
            digests[i], size, options.pooling, compute, device, tile_size,
            model.autocast_dtype)
        for layer in STYLE_LAYERS:
            target = grams[layer] * weight
            targets[layer] = target if layer not in targets else targets[layer] + target
    return targets


class StyleLoss(LossTerm[GramTargets]):
    """``style``: Σ over the style layers of ``w_l × E(G(F_l(x)), T_l)``, with the layer
    weights 256, 64, 16, 4, 1 divided by their sum and ``T_l`` the styles' weighted Gram
    targets (:func:`style_targets`)."""

    names = ("style",)
    vgg_layers = STYLE_LAYERS

    def __init__(self, styles: Sequence[SourceImage], weights: Sequence[float],
                 options: Options, device: torch.device | str = "cpu",
                 cache: StyleTargetCache | None = None,
                 digests: Sequence[str] | None = None) -> None:
        self.styles, self.weights, self.options = list(styles), list(weights), options
        self.cache, self.digests = cache, digests
        self.layer_weights = {layer: _weight(w, device) for layer, w in
                              zip(STYLE_LAYERS, normalised(STYLE_LAYER_WEIGHTS), strict=True)}

    @classmethod
    def needs(cls, options: Options) -> list[ModelNeed]:
        return _vgg(options)

    @classmethod
    def for_job(cls, job: Job, models: ModelBundle) -> StyleLoss:
        return cls(job.styles, job.weights, job.options, models.device, job.style_cache,
                   job.style_digests)

    def prepare(self, inputs: ScaleInputs) -> GramTargets:
        return style_targets(inputs.vgg, self.styles, self.weights, inputs.scale, self.options,
                             inputs.device, self.cache, self.digests)

    def losses(self, features: Features, targets: GramTargets) -> dict[str, torch.Tensor]:
        return {"style": sum(scaled_squared_error(gram(features[layer]), target)
                             * self.layer_weights[layer] for layer, target in targets.items())}

    def tile_losses(self, features: Features, targets: GramTargets,
                    part: TilePass) -> dict[str, torch.Tensor]:
        """The tile's share of the whole image's style term (docs/large-images.md, Tiles): the
        term is a function of the whole image's Gram matrices ``G = Σ_tiles F_c F_cᵀ / P`` (``F_c``
        the features at the tile's core positions, ``P`` the whole map's positions), so a
        tile's exact gradient is ``∂E/∂G · ∂(F_c F_cᵀ / P)/∂F_c``. ``∂E/∂G`` is taken at the
        ``G`` extrapolated from the last two passes over the image (:func:`gram_share`); the
        value is the tile's share of the pixels times the loss there."""
        shares = [gram_share(features[layer], target, part, f"style/{layer}", layer)
                  * self.layer_weights[layer] for layer, target in targets.items()]
        return {"style": sum(shares)}


class TVLoss(LossTerm[dict]):
    """``tv``: ``tv_weight × total_variation(x)`` on the iterate's pixels; no targets."""

    names = ("tv",)

    def __init__(self, tv_weight: float, device: torch.device | str = "cpu") -> None:
        self.weight = _weight(tv_weight, device)

    @classmethod
    def needs(cls, options: Options) -> list[ModelNeed]:
        return []

    @classmethod
    def for_job(cls, job: Job, models: ModelBundle) -> TVLoss:
        return cls(job.options.tv_weight, models.device)

    def prepare(self, inputs: ScaleInputs) -> dict:
        return {}

    def losses(self, features: Features, targets: dict) -> dict[str, torch.Tensor]:
        return {"tv": total_variation(features["input"]) * self.weight}
