"""Background removal (the paper's §5) with the real selfie-segmentation matte."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from backend.engine import stylize
from backend.engine.background import composite, plan_background, resize_matte
from backend.engine.images import prepare
from backend.models.bundle import ModelBundle
from backend.weights import WeightsConfig
from shared.options import Options
from tests.photos import photo

FACE_CENTRE = (117, 224)  # row, column of the astronaut's face in the 512 px original
COLOUR = (20, 200, 60)


@pytest.fixture(scope="module")
def astronaut() -> Image.Image:
    return photo("astronaut")


def run_options(background: str) -> Options:
    return Options(min_scale=64, end_scale=64, initial_iterations=3, iterations=3,
                   face_weight=0, mesh_weight=0, background=background,
                   background_colour=COLOUR)


def test_composite_mixes_image_and_colour_by_the_matte() -> None:
    image = np.full((1, 3, 3), 0.8, dtype=np.float32)
    matte = np.array([[0.0, 0.25, 1.0]], dtype=np.float32)
    out = composite(image, matte, np.array([0.0, 0.4, 1.0], dtype=np.float32))
    assert np.allclose(out[0, 1], 0.25 * 0.8 + 0.75 * np.array([0.0, 0.4, 1.0]))
    assert np.allclose(out[0, 0], [0.0, 0.4, 1.0]) and np.allclose(out[0, 2], 0.8)


def test_flat_background_keeps_the_subject_and_flattens_the_rest(
        models: ModelBundle, astronaut: Image.Image) -> None:
    plan = plan_background(prepare(astronaut), run_options("flat"), models)
    before = np.asarray(astronaut, dtype=np.float32) / 255
    after = np.asarray(plan.content.rgb8, dtype=np.float32) / 255
    colour = np.asarray(COLOUR) / 255
    assert np.abs(after[:40, :40] - colour).max() <= 0.1
    assert np.abs(after[FACE_CENTRE] - before[FACE_CENTRE]).max() <= 0.02
    assert plan.matte.shape == (512, 512)


def test_keeping_the_background_runs_no_segmentation(astronaut: Image.Image) -> None:
    bundle = ModelBundle("cpu", WeightsConfig(allow_random=True))
    source = prepare(astronaut)
    plan = plan_background(source, run_options("keep"), bundle)
    assert plan.content is source and "selfie-segmentation" not in bundle.loaded()


def test_restore_puts_the_original_background_behind_the_stylized_subject(
        models: ModelBundle, astronaut: Image.Image) -> None:
    style = [photo("starry_night")]
    flat = stylize(astronaut, style, options=run_options("flat"), models=models)
    restored = stylize(astronaut, style, options=run_options("restore"), models=models)
    matte = models.segmenter().matte(np.asarray(astronaut))
    original = np.asarray(astronaut.resize((64, 64), Image.LANCZOS), dtype=np.float32) / 255
    expected = composite(flat.pixels, resize_matte(matte, (64, 64)), original)
    assert np.allclose(restored.pixels, expected, atol=1e-6)
    assert restored.metadata["background"] == "restore"


def test_alpha_returns_the_matte_as_the_output_alpha(models: ModelBundle,
                                                     astronaut: Image.Image) -> None:
    style = [photo("starry_night")]
    flat = stylize(astronaut, style, options=run_options("flat"), models=models)
    with_alpha = stylize(astronaut, style, options=run_options("alpha"), models=models)
    matte = resize_matte(models.segmenter().matte(np.asarray(astronaut)), (64, 64))
    assert with_alpha.pixels.shape == (64, 64, 4)
    assert np.array_equal(with_alpha.pixels[..., :3], flat.pixels)
    assert np.allclose(with_alpha.pixels[..., 3], matte)


def test_alpha_mode_multiplies_the_contents_own_alpha(models: ModelBundle,
                                                      astronaut: Image.Image) -> None:
    rgba = astronaut.convert("RGBA")
    half = np.asarray(rgba).copy()
    half[..., 3] = 128
    result = stylize(Image.fromarray(half, "RGBA"), [photo("starry_night")],
                     options=run_options("alpha"), models=models)
    matte = resize_matte(models.segmenter().matte(np.asarray(astronaut)), (64, 64))
    assert np.allclose(result.pixels[..., 3], matte * 128 / 255, atol=1e-5)
