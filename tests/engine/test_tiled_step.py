"""A step computed tile by tile: the per-position terms count each position once and, where
the windows carry the receptive field's context, have the untiled gradient; face terms are the
untiled ones; each tile's Gram is held to the global style target; targets of a tiled scale
come from stitched window features; a hook runs before every tile.

Real VGG-19 with seeded random weights on small images (one thread, see conftest.py)."""

from __future__ import annotations

import pytest
import torch

from backend.engine.events import Cancelled
from backend.engine.faces import FaceGuide
from backend.engine.images import prepare
from backend.engine.losses import (
    ContentLoss,
    StyleLoss,
    TVLoss,
    gram,
    scaled_squared_error,
    style_targets,
)
from backend.engine.terms import ScaleInputs
from backend.engine.tiled_step import TiledStep
from backend.engine.tiles import (
    CONTEXT,
    MovingGrid,
    TilePass,
    context_margin,
    stitched_features,
    tile_grid,
)
from backend.models.bundle import ModelBundle
from shared.options import Options
from tests.photos import photo

FULL_CONTEXT_TILE = 4 * CONTEXT  # the smallest tile whose margin is the full CONTEXT
SIZE_HW = (208, 224)
SMALL_HW = (128, 144)
CPU = torch.device("cpu")


def _image(seed: int, size_hw: tuple[int, int] = SIZE_HW) -> torch.Tensor:
    """A random image ``(1, 3, H, W)`` in [0, 1]: smooth shapes plus noise (no flat areas,
    whose ties would let max pooling route a gradient to either of two equal pixels)."""
    generator = torch.Generator().manual_seed(seed)
    coarse = torch.rand(1, 3, size_hw[0] // 16, size_hw[1] // 16, generator=generator)
    smooth = torch.nn.functional.interpolate(coarse, size_hw, mode="bilinear")
    return 0.8 * smooth + 0.2 * torch.rand(1, 3, *size_hw, generator=generator)


def _untiled_gradient(model, prepared, image: torch.Tensor) -> tuple[torch.Tensor, dict]:
    image = image.clone().requires_grad_()
    features = model(image, layers=["relu4_2"])
    losses = {}
    for term, targets in prepared:
        losses.update(term.losses(features, targets))
    sum(losses.values()).backward()
    return image.grad, {name: loss.detach() for name, loss in losses.items()}


def _tiled_gradient(model, prepared, image: torch.Tensor, tile_size: int,
                    seed: int = 0, margin: int | None = None) -> tuple[torch.Tensor, dict]:
    image = image.clone().requires_grad_()
    grid = MovingGrid(tile_size, seed, margin)
    losses = TiledStep(model, prepared, grid, image)(image)
    return image.grad, losses


def _per_pixel_terms(models: ModelBundle, size_hw: tuple[int, int] = SIZE_HW) -> list:
    model = models.vgg()
    content = ContentLoss(1.0)
    inputs = ScaleInputs(max(size_hw), _image(1, size_hw), model)
    return [(content, content.prepare(inputs)), (TVLoss(2.0), {})]


def test_with_full_context_the_tiled_gradient_of_content_and_tv_is_the_untiled_one(
        models: ModelBundle) -> None:
    model, prepared = models.vgg(), _per_pixel_terms(models)
    image = _image(2)
    untiled, untiled_losses = _untiled_gradient(model, prepared, image)
    tiled, tiled_losses = _tiled_gradient(model, prepared, image, FULL_CONTEXT_TILE,
                                          margin=CONTEXT)
    assert torch.allclose(tiled, untiled, rtol=0, atol=1e-4 * untiled.abs().max())
    for name in ("content", "tv"):
        assert tiled_losses[name] == pytest.approx(float(untiled_losses[name]), rel=1e-5)


def test_with_short_context_the_tiled_gradient_still_follows_the_untiled_one(
        models: ModelBundle) -> None:
    model, prepared = models.vgg(), _per_pixel_terms(models, SMALL_HW)
    image = _image(3, SMALL_HW)
    untiled, _ = _untiled_gradient(model, prepared, image)
    tiled, _ = _tiled_gradient(model, prepared, image, 96)
    cosine = torch.nn.functional.cosine_similarity(tiled.flatten(), untiled.flatten(), dim=0)
    assert not torch.allclose(tiled, untiled, rtol=0, atol=1e-4 * untiled.abs().max())
    assert cosine > 0.9


def _map_windows(tile, stride: int, whole: torch.Tensor) -> torch.Tensor:
    """The window of ``tile`` in a map at ``stride`` as a window's own map would hold it."""
    (r0, r1), (c0, c1) = tile.rows.window, tile.cols.window
    return whole[..., r0 // stride:r0 // stride + (r1 - r0) // stride,
                 c0 // stride:c0 // stride + (c1 - c0) // stride]


def test_the_content_shares_of_overlapping_tiles_count_every_position_once() -> None:
    size_hw, stride = (203, 190), 8
    target = torch.rand(1, 4, size_hw[0] // stride, size_hw[1] // stride,
                        generator=torch.Generator().manual_seed(4))
    whole = torch.rand(target.shape, generator=torch.Generator().manual_seed(5))
    term = ContentLoss(1.0, layers=["relu4_2"])
    expected = whole.clone().requires_grad_()
    scaled_squared_error(expected, target).backward()
    for first_cores in ((16, 48), (32, 64), (48, 80)):
        features = whole.clone().requires_grad_()
        sums: dict = {}
        for _ in range(2):  # the first pass gathers the whole-map sums, the second uses them
            features.grad, current, total = None, {}, 0
            for tile in tile_grid(size_hw, 96, context_margin(96), first_cores):
                part = TilePass(tile, 0.0, sums, current)
                share = term.tile_losses({"relu4_2": _map_windows(tile, stride, features)},
                                         {"relu4_2": target}, part)["content"]
                share.backward()
                total += float(share.detach())
            sums = current
        assert total == pytest.approx(float(scaled_squared_error(whole, target)), rel=1e-6)
        assert torch.allclose(features.grad, expected.grad, rtol=1e-5, atol=1e-9)


def test_the_style_shares_of_overlapping_tiles_count_every_position_once() -> None:
    size_hw, stride = (203, 190), 8
    generator = torch.Generator().manual_seed(12)
    whole = torch.rand(1, 4, size_hw[0] // stride, size_hw[1] // stride, generator=generator)
    target = gram(torch.rand(whole.shape, generator=generator))
    term = StyleLoss([], [], Options())
    targets = {"relu4_1": target}  # relu4_1's stride is 8
    expected = whole.clone().requires_grad_()
    loss = scaled_squared_error(gram(expected), target) * term.layer_weights["relu4_1"]
    loss.backward()
    for first_cores in ((16, 48), (32, 64), (48, 80)):
        features = whole.clone().requires_grad_()
        sums: dict = {}
        for _ in range(2):  # the first pass gathers the whole Gram, the second uses it
            features.grad, current, total = None, {}, 0
            tiles = tile_grid(size_hw, 96, context_margin(96), first_cores)
            for tile in tiles:
                part = TilePass(tile, tile.core_pixels / (size_hw[0] * size_hw[1]), sums,
                                current)
                window = {"relu4_1": _map_windows(tile, stride, features)}
                share = term.tile_losses(window, targets, part)["style"]
                share.backward()
                total += float(share.detach())
            sums = current
            assert torch.allclose(current["style/relu4_1"] / whole[0, 0].numel(),
                                  gram(whole), rtol=1e-5, atol=0)
        assert total == pytest.approx(float(loss.detach()), rel=1e-5)
        assert torch.allclose(features.grad, expected.grad, rtol=1e-4, atol=1e-9)


def _style_pass(term, features, targets, tiles, size_hw, previous, older) -> dict:
    """One pass of the style shares over synthetic ``features``; returns its sums."""
    current: dict = {}
    for tile in tiles:
        part = TilePass(tile, tile.core_pixels / (size_hw[0] * size_hw[1]), previous, current,
                        older)
        term.tile_losses({"relu4_1": _map_windows(tile, 8, features)}, targets,
                         part)["style"].backward()
    return current


def test_the_style_term_extrapolates_the_gram_of_an_image_that_moves() -> None:
    """The iterate moves by one step between passes: the Gram extrapolated from the last two
    passes gives a gradient much closer to the exact one than the last pass's Gram alone."""
    size_hw = (203, 190)
    generator = torch.Generator().manual_seed(17)
    start = torch.rand(1, 4, size_hw[0] // 8, size_hw[1] // 8, generator=generator)
    step = 0.02 * torch.randn(start.shape, generator=generator)
    targets = {"relu4_1": gram(torch.rand(start.shape, generator=generator))}
    term = StyleLoss([], [], Options())
    tiles = tile_grid(size_hw, 96, context_margin(96), (32, 48))
    now = (start + 2 * step).requires_grad_()
    (scaled_squared_error(gram(now), targets["relu4_1"])
     * term.layer_weights["relu4_1"]).backward()
    sums = [_style_pass(term, (start + k * step).requires_grad_(), targets, tiles, size_hw,
                        {}, {}) for k in (0, 1)]
    errors = {}
    for name, older in (("extrapolated", sums[0]), ("last pass", {})):
        features = (start + 2 * step).requires_grad_()
        _style_pass(term, features, targets, tiles, size_hw, sums[1], older)
        errors[name] = float((features.grad - now.grad).norm() / now.grad.norm())
    assert errors["extrapolated"] < errors["last pass"] / 5, errors


def test_with_full_context_the_tiled_style_gradient_is_the_untiled_one(
        models: ModelBundle) -> None:
    model, term, size_hw = models.vgg(), StyleLoss([], [], Options()), (192, 192)
    layers = list(term.vgg_layers)
    targets = {layer: gram(f) for layer, f in model(_image(13, size_hw), layers=layers).items()
               if layer in layers}
    image = _image(14, size_hw).requires_grad_()
    untiled = term.losses(model(image, layers=layers), targets)["style"]
    untiled.backward()
    # 80-px margins hold relu5_1's reach; a 176-px tile leaves a 16-px inner core: 9 tiles
    tiled, losses = _tiled_gradient(model, [(term, targets)], image.detach(), 176, margin=80)
    assert len(MovingGrid(176, 0, 80).next(size_hw)) == 9
    assert losses["style"] == pytest.approx(float(untiled), rel=1e-4)
    assert torch.allclose(tiled, image.grad, rtol=0, atol=1e-5 * image.grad.abs().max())


def test_with_short_context_the_tiled_style_gradient_follows_the_untiled_one(
        models: ModelBundle) -> None:
    model, term = models.vgg(), StyleLoss([], [], Options())
    layers = list(term.vgg_layers)
    targets = {layer: gram(f) for layer, f in model(_image(15, SMALL_HW), layers=layers).items()
               if layer in layers}
    image = _image(16, SMALL_HW).requires_grad_()
    term.losses(model(image, layers=layers), targets)["style"].backward()
    tiled, _ = _tiled_gradient(model, [(term, targets)], image.detach(), 96)
    cosine = torch.nn.functional.cosine_similarity(tiled.flatten(), image.grad.flatten(), dim=0)
    assert cosine > 0.9


def test_the_hook_runs_before_every_tile_and_can_stop_the_step(models: ModelBundle) -> None:
    model, prepared = models.vgg(), _per_pixel_terms(models, SMALL_HW)
    image = _image(7, SMALL_HW).requires_grad_()
    calls: list[int] = []

    def between_tiles() -> None:
        calls.append(1)
        if len(calls) > n_tiles + 1:
            raise Cancelled("stop")

    grid = MovingGrid(96, seed=0)
    n_tiles = len(MovingGrid(96, seed=0).next(SMALL_HW))
    step = TiledStep(model, prepared, grid, image, between_tiles)
    assert len(calls) == n_tiles  # the pass that gathers the whole-image sums
    with pytest.raises(Cancelled):
        step(image)
    assert len(calls) == n_tiles + 2


def test_content_targets_of_a_tiled_scale_are_the_whole_images_with_full_context(
        models: ModelBundle) -> None:
    model, term, content = models.vgg(), ContentLoss(1.0), _image(8)
    whole = term.prepare(ScaleInputs(max(SIZE_HW), content, model))["relu4_2"]
    still = MovingGrid(FULL_CONTEXT_TILE).still(SIZE_HW)
    tiled = term.prepare(ScaleInputs(max(SIZE_HW), content, model, still))["relu4_2"]
    assert len(still) > 1
    assert torch.allclose(tiled, whole, rtol=0, atol=1e-5 * whole.abs().max())


def test_stitched_features_have_the_whole_images_shapes_at_every_style_layer(
        models: ModelBundle) -> None:
    model, image = models.vgg(), _image(9, SMALL_HW)
    layers = list(StyleLoss.vgg_layers)
    whole = model(image, layers=layers)
    stitched = stitched_features(model, image, layers, MovingGrid(96).still(SMALL_HW))
    assert {layer: stitched[layer].shape for layer in layers} == {
        layer: whole[layer].shape for layer in layers}
    assert torch.equal(stitched["input"], image)


def test_style_targets_of_a_style_larger_than_a_tile_come_from_stitched_features(
        models: ModelBundle) -> None:
    model, style = models.vgg(), prepare(photo("gravel").resize((144, 128)))
    whole = style_targets(model, [style], [1.0], 144, Options(), CPU)
    tiled = style_targets(model, [style], [1.0], 144, Options(tile_size=96), CPU)
    stitched = stitched_features(model, style.tensor(), StyleLoss.vgg_layers,
                                 tile_grid(SMALL_HW, 96, context_margin(96)))
    for layer in StyleLoss.vgg_layers:
        assert torch.allclose(tiled[layer], gram(stitched[layer]))
    # relu1_1 sees 3 px, well inside the windows' context; relu5_1 sees more than a window
    assert torch.allclose(tiled["relu1_1"], whole["relu1_1"])
    assert not torch.allclose(tiled["relu5_1"], whole["relu5_1"])


def test_a_face_that_tile_borders_cross_is_held_exactly_as_untiled(models: ModelBundle) -> None:
    model, content_image = models.vgg(), _image(10)
    options = Options(face_boxes=((60.0, 40.0, 170.0, 160.0),), mesh_weight=0.0,
                      face_shape="box")
    guide = FaceGuide((SIZE_HW[1], SIZE_HW[0]), options, models)
    inputs = ScaleInputs(max(SIZE_HW), content_image, model)
    prepared = [*_per_pixel_terms(models), (guide, guide.prepare(inputs))]
    image = _image(11)
    untiled, untiled_losses = _untiled_gradient(model, prepared, image)
    tiled, tiled_losses = _tiled_gradient(model, prepared, image, FULL_CONTEXT_TILE,
                                          margin=CONTEXT)
    assert tiled_losses["face"] == pytest.approx(float(untiled_losses["face"]), rel=1e-6)
    assert torch.allclose(tiled, untiled, rtol=0, atol=1e-4 * untiled.abs().max())
