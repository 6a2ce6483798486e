"""Whole runs with tiled scales: a 192-px run in 96-px tiles lands close to the untiled run and
keeps its structure; an image that fits in a tile runs the untiled engine exactly; cancellation
is checked between tiles.

Real but small runs on seeded random VGG-19 weights (one thread, see conftest.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from backend.engine import Cancelled, ProgressEvent, stylize
from backend.engine.losses import ContentLoss
from backend.engine.stylize import _tiled_step
from backend.engine.terms import ScaleInputs
from backend.engine.tiles import MovingGrid
from backend.models.bundle import ModelBundle
from shared.options import Options
from tests.photos import photo

CONTENT = photo("astronaut").crop((60, 0, 460, 267)).resize((192, 128), Image.LANCZOS)
STYLE = photo("gravel").resize((128, 128), Image.LANCZOS)


def _options(**changes: object) -> Options:
    """Face terms off; one 192-px scale of 6 iterations, unless changed."""
    settings = {"face_weight": 0, "mesh_weight": 0, "min_scale": 192, "end_scale": 192,
                "initial_iterations": 6, "iterations": 2, **changes}
    return Options(**settings)


def _change(result: np.ndarray) -> np.ndarray:
    """What the run did to the content: result minus content, RGB, in [-1, 1]."""
    return result[..., :3] - np.asarray(CONTENT.convert("RGB"), dtype=np.float32) / 255


def test_a_run_in_96_px_tiles_is_close_to_the_untiled_run_and_changes_the_same_places(
        models: ModelBundle) -> None:
    untiled = stylize(CONTENT, [STYLE], options=_options(), models=models).pixels
    tiled = stylize(CONTENT, [STYLE], options=_options(tile_size=96), models=models).pixels
    untiled_change, tiled_change = _change(untiled), _change(tiled)
    assert np.abs(tiled - untiled).mean() < 0.25 * np.abs(untiled_change).mean()
    correlation = np.corrcoef(untiled_change.ravel(), tiled_change.ravel())[0, 1]
    assert correlation > 0.85


def test_tiled_progress_reports_the_untiled_loss_names_and_their_sum(
        models: ModelBundle) -> None:
    events: list[ProgressEvent] = []
    stylize(CONTENT, [STYLE], options=_options(tile_size=96, initial_iterations=2,
                                               min_scale=128, end_scale=128),
            models=models, on_progress=events.append)
    assert len(events) == 2
    for event in events:
        assert list(event.losses) == ["total", "content", "style", "tv"]
        parts = event.losses["content"] + event.losses["style"] + event.losses["tv"]
        assert event.losses["total"] == pytest.approx(parts, rel=1e-5)


def test_an_image_that_fits_in_a_tile_runs_the_untiled_engine_exactly(
        models: ModelBundle) -> None:
    options = _options(end_scale=128, min_scale=128, initial_iterations=2)
    untiled = stylize(CONTENT, [STYLE], options=options, models=models).pixels
    fitting = stylize(CONTENT, [STYLE], options=options.replace(tile_size=128),
                      models=models).pixels
    assert np.array_equal(fitting, untiled)


def test_the_loops_tiled_step_checks_cancellation_before_each_tile(models: ModelBundle) -> None:
    # stylize checks before every VGG-19 layer as well; here only the tiled step's own check
    image = torch.rand(1, 3, 128, 192, generator=torch.Generator().manual_seed(0))
    content = ContentLoss(1.0)
    prepared = [(content, content.prepare(ScaleInputs(192, image, models.vgg())))]
    with pytest.raises(Cancelled, match="^cancelled at scale 1/2, between tiles$"):
        _tiled_step(models.vgg(), prepared, MovingGrid(96), image, lambda: True, "scale 1/2")
