"""The stylization loop: Crowson's multi-scale Adam style transfer (docs/engine.md, The method).

The loop knows no particular loss: it sums what the job's loss terms report
(``backend/engine/objective.py``, ``backend/engine/terms.py``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import torch
from PIL import Image

from backend.engine.background import plan_background
from backend.engine.cancel import CancelCheck, band_work_for, cancel_points, cancel_requested
from backend.engine.events import (
    Cancelled,
    EngineError,
    OutOfMemory,
    ProgressEvent,
    Result,
    is_out_of_memory,
)
from backend.engine.faces import FaceGuide
from backend.engine.fidelity import detect_faces_first, faces_metadata
from backend.engine.images import SourceImage, prepare
from backend.engine.losses import normalised
from backend.engine.memory import available_bytes, plan_tile_size
from backend.engine.objective import loss_terms, vgg_layers
from backend.engine.schedule import (
    EarlyStop,
    IterateAverage,
    job_scales,
    rescale_adam_state,
    resize,
    scale_iterations,
    size_to_fit,
)
from backend.engine.sizes import check_sizes
from backend.engine.style_cache import StyleTargetCache, style_digest
from backend.engine.terms import Job, LossTerm, Prepared, ScaleInputs
from backend.engine.tiled_step import TiledStep
from backend.engine.tiles import MovingGrid, Tile, needs_tiles
from backend.models.bundle import ModelBundle
from backend.models.precision import autocast_dtype, vgg_precision
from backend.models.vgg import VGGFeatures
from shared.options import Options
from shared.presets import prefers_speed, with_preset

PREVIEW_MAX_SIDE = 512
ImageLike = Image.Image | np.ndarray

def _style_weights(styles: Sequence[SourceImage],
                   style_weights: Sequence[float] | None) -> list[float]:
    if style_weights is None:
        return [1 / len(styles)] * len(styles)
    if len(style_weights) != len(styles):
        raise EngineError(f"{len(styles)} style image(s) but {len(style_weights)} style weights")
    total = sum(abs(w) for w in style_weights) if all(map(np.isfinite, style_weights)) else 0
    if not np.isfinite(total) or total == 0:
        raise EngineError(f"style weights must be finite, with a finite sum, and not all "
                          f"zero, got {list(style_weights)}")
    return normalised(list(style_weights))


def _initial_image(init: str, content: SourceImage, styles: Sequence[SourceImage],
                   weights: list[float], size: tuple[int, int],
                   generator: torch.Generator) -> torch.Tensor:
    """The first iterate, ``(1, 3, h, w)`` at the first scale."""
    w, h = size
    if init == "content":
        return content.tensor(size)
    if init == "uniform":
        return torch.rand([1, 3, h, w], generator=generator)
    noise = torch.rand([1, 3, h, w], generator=generator) / 255
    if init == "gray":
        return noise + 0.5
    means = sum(style.tensor()[0].mean(dim=(1, 2)) * weight
                for style, weight in zip(styles, weights, strict=True))
    return noise + means[None, :, None, None]


def _preview(average: torch.Tensor) -> Image.Image:
    image = average[0].clamp(0, 1).mul(255).round().byte().permute(1, 2, 0).cpu().numpy()
    preview = Image.fromarray(image, "RGB")
    preview.thumbnail((PREVIEW_MAX_SIDE, PREVIEW_MAX_SIDE), Image.BILINEAR)
    return preview


def _out_of_memory(size: tuple[int, int], scales: list[int], scale: int) -> OutOfMemory:
    done = [s for s in scales if s < scale]
    fits = done[-1] if done else round(scale / 2**0.5)
    return OutOfMemory(f"the device ran out of memory at {size[0]}x{size[1]}; try end_scale "
                       f"{fits} or smaller, or run on a device with more memory")


def stylize(content: ImageLike, styles: Sequence[ImageLike],
            style_weights: Sequence[float] | None = None, options: Options | None = None,
            on_progress: Callable[[ProgressEvent], None] | None = None,
            cancel: CancelCheck = None, models: ModelBundle | None = None,
            preview_interval: int = 0, style_cache: StyleTargetCache | None = None) -> Result:
    """Stylize ``content`` with ``styles``; with face weights at zero this is Crowson's method.

    Images are PIL images or ``(H, W[, C])`` arrays (uint8, uint16, float in [0, 1]); the
    content's alpha is carried to the output. ``on_progress`` receives a
    :class:`ProgressEvent` after every iteration (with a preview every ``preview_interval``
    iterations when > 0). ``cancel`` is checked every iteration and before every tensor
    operation of the forward and the backward pass, the set-up and the fidelity report (and
    before every tile of a tiled step, docs/large-images.md, Tiles); when set, :class:`Cancelled` is
    raised. The tile size is :func:`~backend.engine.memory.plan_tile_size`'s for the device's
    free memory (a job that fits in none raises :class:`OutOfMemory` before it starts, in one
    line). ``models`` keeps models loaded across calls (a new bundle is made if None);
    ``style_cache`` (one per bundle) reuses the Gram targets of styles seen before.
    """
    options = with_preset(options or Options())
    models = models or ModelBundle()
    started = time.perf_counter()
    if not styles:
        raise EngineError("at least one style image is needed")
    content_src = prepare(content)
    background = plan_background(content_src, options, models)
    content_src = background.content
    style_srcs = [prepare(style) for style in styles]
    weights = _style_weights(style_srcs, style_weights)
    scales = job_scales(options, content_src.size)
    style_sizes = [style.size for style in style_srcs]
    check_sizes(content_src.size, style_sizes, options)
    options = options.replace(tile_size=plan_tile_size(
        options, content_src.size, style_sizes, models.device, available_bytes(models.device)))
    digests = [style_digest(style) for style in style_srcs] if style_cache else None
    job = Job(content_src, style_srcs, weights, options, scales, background, style_cache,
              digests)
    model = models.vgg(options.pooling)
    try:
        dtype = autocast_dtype(options.precision, models.device,
                               prefer_speed=prefers_speed(options.preset))
    except ValueError as err:
        raise EngineError(str(err)) from None
    try:
        with (cancel_points(cancel, band_work_for(options), models.device),
              vgg_precision(model, dtype)):
            return _run(job, models, on_progress, cancel, preview_interval, started)
    except (MemoryError, RuntimeError) as err:
        if not is_out_of_memory(err):
            raise
        raise _out_of_memory(content_src.size, scales, scales[-1]) from err
    finally:
        models.release_memory()


ProgressCallback = Callable[[ProgressEvent], None] | None


def _prepare_terms(terms: list[LossTerm], inputs: ScaleInputs) -> Prepared:
    """Each term with its targets at one scale; terms off at this scale are left out."""
    with torch.no_grad():
        prepared = [(term, term.prepare(inputs)) for term in terms]
    return [(term, targets) for term, targets in prepared if targets is not None]


def _losses(model: VGGFeatures, layers: list[str], prepared: Prepared,
            image: torch.Tensor) -> dict[str, torch.Tensor]:
    """Every prepared term's named losses of the iterate ``image`` ``(1, 3, H, W)``, its VGG-19
    features at ``layers`` computed once for all of them."""
    features = model(image, layers=layers)
    losses: dict[str, torch.Tensor] = {}
    for term, targets in prepared:
        losses.update(term.losses(features, targets))
    return losses


def _scale_tiles(grid: MovingGrid | None, size_hw: tuple[int, int]) -> list[Tile] | None:
    """The still grid of a scale of ``size_hw`` (pixels) computed in tiles, or None when the
    image fits in a tile (or tiling is off): then the scale runs untiled, unchanged."""
    if grid is None or not needs_tiles(size_hw, grid.tile_size):
        return None
    return grid.still(size_hw)


def _tiled_step(model: VGGFeatures, prepared: Prepared, grid: MovingGrid, image: torch.Tensor,
                cancel: CancelCheck, where: str) -> TiledStep:
    """The tile-by-tile gradient of the iterate ``image`` at a tiled scale; cancellation is
    checked before every tile."""

    def between_tiles() -> None:
        if cancel_requested(cancel):
            raise Cancelled(f"cancelled at {where}, between tiles")

    return TiledStep(model, prepared, grid, image, between_tiles)


def _gradient(model: VGGFeatures, layers: list[str], prepared: Prepared, image: torch.Tensor,
              tiled: TiledStep | None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The iterate's total loss and named losses, with the total's gradient added to
    ``image.grad``: computed on the whole image, or tile by tile by ``tiled``."""
    if tiled is not None:
        losses = tiled(image)
        return sum(losses.values()), losses
    losses = _losses(model, layers, prepared, image)
    loss = sum(losses.values())
    loss.backward()
    return loss, losses


def _run(job: Job, models: ModelBundle, on_progress: ProgressCallback, cancel: CancelCheck,
         preview_interval: int, started: float) -> Result:
    content, options, scales = job.content, job.options, job.scales
    grid = MovingGrid(options.tile_size, options.random_seed) if options.tile_size else None
    device = models.device
    model = models.vgg(options.pooling)
    terms = loss_terms(job, models)
    layers = vgg_layers(options)
    threads = models.threads if device.type == "cpu" else None
    if threads is not None:
        threads.apply(fresh=True)
    loaded = time.perf_counter()
    generator = torch.Generator().manual_seed(options.random_seed)
    final = size_to_fit(content.size, scales[-1], scale_up=True)
    detect_faces_first(content.tensor(final).to(device), options, models)
    size = size_to_fit(content.size, scales[0], scale_up=True)
    image = _initial_image(options.init, content, job.styles, job.weights, size,
                           generator).to(device)
    optimizer: torch.optim.Adam | None = None
    average: IterateAverage | None = None
    scale_times, iterations_run = [], []
    for index, scale in enumerate(scales):
        scale_started = time.perf_counter()
        size = size_to_fit(content.size, scale, scale_up=True)
        w, h = size
        content_image = content.tensor(size).to(device)
        image = resize(image.detach(), (h, w), "bicubic").clamp(0, 1)
        average = IterateAverage(image, options.avg_decay)
        image.requires_grad_()
        tiles = _scale_tiles(grid, (h, w))
        prepared = _prepare_terms(terms, ScaleInputs(scale, content_image, model, tiles))
        new_optimizer = torch.optim.Adam([image], lr=options.step_size)
        if optimizer is not None:
            new_optimizer.load_state_dict(rescale_adam_state(optimizer.state_dict(), (h, w)))
        optimizer = new_optimizer
        iterations = scale_iterations(options, scales)[index]
        where = f"scale {index + 1}/{len(scales)}"
        tiled = _tiled_step(model, prepared, grid, image, cancel, where) if tiles else None
        early_stop = EarlyStop(options.early_stop)
        for i in range(1, iterations + 1):
            if cancel_requested(cancel):
                raise Cancelled(f"cancelled at {where}, iteration {i}")
            if threads is not None:
                threads.apply()
            optimizer.zero_grad()
            loss, losses = _gradient(model, layers, prepared, image, tiled)
            optimizer.step()
            with torch.no_grad():
                image.clamp_(0, 1)
            average.update(image)
            if on_progress is not None:
                want_preview = preview_interval > 0 and (i % preview_interval == 0
                                                         or i == iterations)
                on_progress(ProgressEvent(
                    scale_index=index, n_scales=len(scales), width=w, height=h, iteration=i,
                    iterations=iterations, losses=_loss_values(loss, losses),
                    preview=_preview(average.get()) if want_preview else None))
            if early_stop.settled(loss):
                break
        iterations_run.append(i)
        with torch.no_grad():
            image.copy_(average.get())
        scale_times.append(round(time.perf_counter() - scale_started, 3))
    result = average.get().detach().clamp(0, 1)
    # The last scale's whole-image state (Adam's moments, gradient, targets) is freed before the
    # fidelity report (docs/large-images.md, Size, time and memory).
    del optimizer, tiled, prepared, image
    guide = next((term for term in terms if isinstance(term, FaceGuide)), None)
    faces = faces_metadata(content_image, result, content.size, options, models, guide)
    output = job.background.finish(result[0].permute(1, 2, 0).cpu().numpy(),
                                   content.alpha_at(size))
    metadata = {
        "options": options.to_dict(),
        "style_weights": job.weights,
        "scales": scales,
        "size": list(size),
        "device": str(device),
        "precision": str(model.autocast_dtype or torch.float32).removeprefix("torch."),
        "iterations_run": iterations_run,
        "weights": dict(models.weights_used),
        "faces": faces,
        "background": job.background.mode,
        "random_weights": sorted(n for n, v in models.weights_used.items()
                                 if v == "seeded random"),
        "timings": {"model_load_s": round(loaded - started, 3), "scales_s": scale_times,
                    "total_s": round(time.perf_counter() - started, 3),
                    "threads": threads.describe() if threads else str(torch.get_num_threads())},
    }
    return Result(pixels=np.ascontiguousarray(output, dtype=np.float32), metadata=metadata)


def _loss_values(total: torch.Tensor, losses: dict[str, torch.Tensor]) -> dict[str, float]:
    """``total`` and each named term as floats, read from the device in one transfer."""
    values = torch.stack([total.detach(), *(t.detach() for t in losses.values())])
    return dict(zip(["total", *losses], values.tolist(), strict=True))
