"""The stylization loop as a library (style terms only; the face terms have their own tests).

Runs are real but tiny (32–64 px, a few iterations) on seeded random VGG-19 weights.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from PIL import Image

from backend.engine import Cancelled, EngineError, ProgressEvent, stylize
from backend.engine.images import ImageInputError, prepare
from backend.engine.losses import STYLE_LAYERS, gram, style_targets
from backend.engine.memory import default_tile_size
from backend.engine.schedule import size_to_fit
from backend.models.bundle import ModelBundle
from shared.options import Options
from tests.photos import photo

CONTENT_SIZE = (64, 48)


@pytest.fixture(scope="module")
def content() -> Image.Image:
    return photo("astronaut").crop((120, 30, 376, 222)).resize(CONTENT_SIZE, Image.LANCZOS)


@pytest.fixture(scope="module")
def style() -> Image.Image:
    return photo("gravel").resize((64, 64), Image.LANCZOS)


def style_only(**changes: object) -> Options:
    """Face terms off, one 32 px scale, two iterations, unless changed."""
    settings = {"face_weight": 0, "mesh_weight": 0, "min_scale": 32, "end_scale": 32,
                "initial_iterations": 2, "iterations": 2, **changes}
    return Options(**settings)


def test_total_loss_falls_over_a_short_run(models: ModelBundle, content: Image.Image,
                                           style: Image.Image) -> None:
    events: list[ProgressEvent] = []
    stylize(content, [style], options=style_only(end_scale=64, min_scale=64,
                                                 initial_iterations=8),
            models=models, on_progress=events.append)
    totals = [event.losses["total"] for event in events]
    assert totals[-1] < 0.9 * totals[0]
    assert events[-1].losses["style"] < events[0].losses["style"]


def test_progress_events_cover_every_iteration_of_every_scale(
        models: ModelBundle, content: Image.Image, style: Image.Image) -> None:
    events: list[ProgressEvent] = []
    result = stylize(content, [style], models=models, on_progress=events.append,
                     options=style_only(min_scale=32, end_scale=45, initial_iterations=3))
    scales = result.metadata["scales"]
    assert scales == [32, 45]
    assert [(e.scale_index, e.iteration, e.iterations) for e in events] == [
        (0, 1, 3), (0, 2, 3), (0, 3, 3), (1, 1, 2), (1, 2, 2)]
    for event in events:
        assert event.n_scales == 2
        assert (event.width, event.height) == size_to_fit(CONTENT_SIZE,
                                                          scales[event.scale_index], True)
    assert events[-1].fraction_done == 1.0


def test_progress_events_carry_the_loss_terms_and_their_sum(
        models: ModelBundle, content: Image.Image, style: Image.Image) -> None:
    events: list[ProgressEvent] = []
    stylize(content, [style], options=style_only(), models=models, on_progress=events.append)
    for event in events:
        assert set(event.losses) == {"total", "content", "style", "tv"}
        terms = event.losses["content"] + event.losses["style"] + event.losses["tv"]
        assert event.losses["total"] == pytest.approx(terms, rel=1e-5)
        assert all(np.isfinite(v) and v >= 0 for v in event.losses.values())


@pytest.mark.parametrize("after", [1, 3])
def test_cancel_stops_before_the_next_iteration(models: ModelBundle, content: Image.Image,
                                                style: Image.Image, after: int) -> None:
    events: list[ProgressEvent] = []
    with pytest.raises(Cancelled, match="cancelled at scale"):
        stylize(content, [style], models=models, on_progress=events.append,
                cancel=lambda: len(events) >= after,
                options=style_only(end_scale=45, initial_iterations=2, iterations=5))
    assert len(events) == after


def test_cancel_event_set_during_progress_stops_the_job(models: ModelBundle,
                                                        content: Image.Image,
                                                        style: Image.Image) -> None:
    cancel = threading.Event()
    events: list[ProgressEvent] = []

    def on_progress(event: ProgressEvent) -> None:
        events.append(event)
        cancel.set()

    with pytest.raises(Cancelled):
        stylize(content, [style], options=style_only(initial_iterations=5), models=models,
                on_progress=on_progress, cancel=cancel)
    assert len(events) == 1


def test_cancel_set_before_the_start_runs_no_iteration(models: ModelBundle,
                                                       content: Image.Image,
                                                       style: Image.Image) -> None:
    cancel = threading.Event()
    cancel.set()
    events: list[ProgressEvent] = []
    with pytest.raises(Cancelled, match="during the forward pass"):  # of the set-up
        stylize(content, [style], options=style_only(), models=models,
                on_progress=events.append, cancel=cancel)
    assert events == []


def test_previews_come_every_preview_interval_and_at_the_end_of_a_scale(
        models: ModelBundle, content: Image.Image, style: Image.Image) -> None:
    events: list[ProgressEvent] = []
    stylize(content, [style], options=style_only(initial_iterations=5), models=models,
            on_progress=events.append, preview_interval=2)
    with_preview = [e.iteration for e in events if e.preview is not None]
    assert with_preview == [2, 4, 5]
    for event in events:
        if event.preview is not None:
            assert event.preview.mode == "RGB"
            assert event.preview.size == (event.width, event.height)


def test_no_previews_unless_asked(models: ModelBundle, content: Image.Image,
                                  style: Image.Image) -> None:
    events: list[ProgressEvent] = []
    stylize(content, [style], options=style_only(), models=models, on_progress=events.append)
    assert all(event.preview is None for event in events)


@pytest.mark.parametrize("init", ["gray", "uniform"])
def test_same_seed_gives_the_same_output_bit_for_bit(models: ModelBundle,
                                                     content: Image.Image,
                                                     style: Image.Image, init: str) -> None:
    def run(seed: int) -> np.ndarray:
        options = style_only(init=init, random_seed=seed)
        return stylize(content, [style], options=options, models=models).pixels

    first, again, other = run(7), run(7), run(8)
    assert np.array_equal(first, again)
    assert np.abs(first - other).max() > 1e-3


def test_output_has_the_content_proportions_at_end_scale(models: ModelBundle,
                                                         content: Image.Image,
                                                         style: Image.Image) -> None:
    result = stylize(content, [style], options=style_only(), models=models)
    expected_w, expected_h = size_to_fit(CONTENT_SIZE, 32, scale_up=True)
    assert result.pixels.shape == (expected_h, expected_w, 3)
    assert result.pixels.dtype == np.float32
    assert result.pixels.min() >= 0.0 and result.pixels.max() <= 1.0
    assert result.metadata["size"] == [expected_w, expected_h]


def test_end_scale_zero_computes_at_the_contents_own_size(models: ModelBundle,
                                                          content: Image.Image,
                                                          style: Image.Image) -> None:
    result = stylize(content, [style], options=style_only(end_scale=0, initial_iterations=1,
                                                          iterations=1), models=models)
    assert result.pixels.shape == (CONTENT_SIZE[1], CONTENT_SIZE[0], 3)
    assert result.metadata["scales"][-1] == max(CONTENT_SIZE)


def test_metadata_records_options_weights_and_random_weights(
        models: ModelBundle, content: Image.Image, style: Image.Image) -> None:
    options = style_only()
    result = stylize(content, [style, style], style_weights=[3, 1], options=options,
                     models=models)
    recorded, expected = dict(result.metadata["options"]), options.to_dict()
    assert expected.pop("tile_size") is None  # auto: the device chooses, and the choice is kept
    assert recorded.pop("tile_size") == default_tile_size("cpu")  # a small job fits whole tiles
    assert recorded == expected
    assert result.metadata["style_weights"] == pytest.approx([0.75, 0.25])
    assert result.metadata["random_weights"] == ["facenet-vggface2", "vgg19"]
    assert result.metadata["device"] == "cpu"


def _alpha_ramp(size: tuple[int, int]) -> np.ndarray:
    w, h = size
    return np.round(np.linspace(0, 255, w * h).reshape(h, w)).astype(np.uint8)


def test_alpha_at_output_size_is_returned_unchanged(models: ModelBundle,
                                                    content: Image.Image,
                                                    style: Image.Image) -> None:
    small = content.resize((32, 24), Image.LANCZOS)
    alpha = _alpha_ramp(small.size)
    rgba = np.dstack([np.asarray(small), alpha])
    result = stylize(rgba, [style], options=style_only(), models=models)
    assert result.pixels.shape == (24, 32, 4)
    np.testing.assert_allclose(result.pixels[..., 3], alpha / 255, atol=1e-6)


def test_alpha_is_lanczos_resized_with_the_content(models: ModelBundle, content: Image.Image,
                                                   style: Image.Image) -> None:
    alpha = _alpha_ramp(CONTENT_SIZE)
    rgba = content.copy()
    rgba.putalpha(Image.fromarray(alpha, "L"))
    result = stylize(rgba, [style], options=style_only(), models=models)
    w, h = size_to_fit(CONTENT_SIZE, 32, scale_up=True)
    expected = np.asarray(Image.fromarray(alpha, "L").resize((w, h), Image.LANCZOS)) / 255
    assert result.pixels.shape == (h, w, 4)
    np.testing.assert_allclose(result.pixels[..., 3], expected, atol=1 / 255)


@pytest.mark.parametrize("depth", ["uint16", "float64"])
def test_deep_arrays_stylize_like_the_same_8_bit_image(models: ModelBundle,
                                                       content: Image.Image,
                                                       style: Image.Image, depth: str) -> None:
    eight_bit = np.asarray(content.resize((32, 24), Image.LANCZOS))
    deep = eight_bit.astype(np.uint16) * 257 if depth == "uint16" else eight_bit / 255.0
    options = style_only()
    expected = stylize(eight_bit, [style], options=options, models=models).pixels
    result = stylize(deep, [style], options=options, models=models).pixels
    assert result.shape == expected.shape == (24, 32, 3)
    np.testing.assert_allclose(result, expected, atol=1e-4)


def test_gray_16_bit_style_is_accepted(models: ModelBundle, content: Image.Image) -> None:
    gray_style = np.asarray(photo("brick").convert("L").resize((48, 48)), np.uint16) * 257
    result = stylize(content, [gray_style], options=style_only(initial_iterations=1),
                     models=models)
    assert result.pixels.shape[2] == 3 and np.isfinite(result.pixels).all()


def _initial_output(init: str, models: ModelBundle, content: Image.Image,
                    styles: list[Image.Image], weights: list[float] | None = None) -> np.ndarray:
    """The output of a run whose steps are too small to move the first iterate."""
    options = style_only(init=init, initial_iterations=1, step_size=1e-6)
    return stylize(content, styles, style_weights=weights, options=options,
                   models=models).pixels


def test_gray_init_is_mid_gray_plus_faint_noise(models: ModelBundle, content: Image.Image,
                                                style: Image.Image) -> None:
    pixels = _initial_output("gray", models, content, [style])
    assert pixels.min() >= 0.5 - 1e-5 and pixels.max() <= 0.5 + 1 / 255 + 1e-5
    assert pixels.std() > 0.1 / 255


def test_uniform_init_is_noise_over_the_whole_range(models: ModelBundle, content: Image.Image,
                                                    style: Image.Image) -> None:
    pixels = _initial_output("uniform", models, content, [style])
    assert pixels.std() == pytest.approx(np.sqrt(1 / 12), rel=0.15)
    assert pixels.mean() == pytest.approx(0.5, abs=0.05)


def test_style_mean_init_is_the_weighted_mean_colour_of_the_styles(
        models: ModelBundle, content: Image.Image, style: Image.Image) -> None:
    red = Image.new("RGB", (40, 40), (200, 30, 10))
    pixels = _initial_output("style_mean", models, content, [style, red], weights=[1, 3])
    expected = (0.25 * np.asarray(style, np.float64).mean(axis=(0, 1))
                + 0.75 * np.array([200, 30, 10])) / 255
    np.testing.assert_allclose(pixels.reshape(-1, 3).min(axis=0), expected, atol=1e-4)
    np.testing.assert_allclose(pixels.reshape(-1, 3).max(axis=0), expected + 1 / 255,
                               atol=1e-4)


def test_content_init_starts_from_the_content(models: ModelBundle, content: Image.Image,
                                              style: Image.Image) -> None:
    pixels = _initial_output("content", models, content, [style])
    w, h = size_to_fit(CONTENT_SIZE, 32, scale_up=True)
    expected = np.asarray(content.resize((w, h), Image.LANCZOS)) / 255
    np.testing.assert_allclose(pixels, expected, atol=1e-4)


def test_style_target_is_the_weighted_sum_of_the_styles_grams(models: ModelBundle,
                                                               style: Image.Image) -> None:
    other = photo("brick").resize((50, 40), Image.LANCZOS)
    sources = [prepare(style), prepare(other)]
    model = models.vgg()
    targets = style_targets(model, sources, [0.75, 0.25], 32, style_only(),
                            torch.device("cpu"))
    with torch.no_grad():
        feats = [model(s.tensor(size_to_fit(s.size, 32)), layers=list(STYLE_LAYERS))
                 for s in sources]
    for layer in STYLE_LAYERS:
        expected = 0.75 * gram(feats[0][layer]) + 0.25 * gram(feats[1][layer])
        torch.testing.assert_close(targets[layer], expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(("weights", "complaint"), [
    ([1.0], "2 style image\\(s\\) but 1 style weights"),
    ([0.0, 0.0], "not all zero"),
    ([1.0, float("nan")], "must be finite"),
])
def test_bad_style_weights_are_an_engine_error(models: ModelBundle, content: Image.Image,
                                               style: Image.Image, weights: list[float],
                                               complaint: str) -> None:
    with pytest.raises(EngineError, match=complaint):
        stylize(content, [style, style], style_weights=weights, options=style_only(),
                models=models)


def test_no_style_image_is_an_engine_error(models: ModelBundle, content: Image.Image) -> None:
    with pytest.raises(EngineError, match="at least one style image"):
        stylize(content, [], options=style_only(), models=models)


def test_content_too_thin_for_vgg_is_refused_with_advice(models: ModelBundle,
                                                         style: Image.Image) -> None:
    sliver = Image.new("RGB", (200, 10), (90, 90, 90))
    with pytest.raises(ImageInputError,
                       match=r"raise min_scale \(--min-scale\) to at least 320 px, or crop"):
        stylize(sliver, [style], options=style_only(), models=models)


def test_style_too_small_for_vgg_is_refused_naming_the_style(models: ModelBundle,
                                                             content: Image.Image,
                                                             style: Image.Image) -> None:
    speck = Image.new("RGB", (2, 1), (200, 10, 10))
    with pytest.raises(ImageInputError, match="style image 2 is 2x1"):
        stylize(content, [style, speck], options=style_only(), models=models)
