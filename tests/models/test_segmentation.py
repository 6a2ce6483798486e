"""Portrait matte from MediaPipe's selfie segmentation (model from the mediapipe wheel)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from backend.models.segmentation import PortraitSegmenter
from tests.photos import photo

# Inside the astronaut's face (MTCNN box about [181, 62, 268, 172] in the 512 px image).
ASTRONAUT_FACE_CENTRE = (117, 224)  # row, column


@pytest.fixture(scope="module")
def segmenter() -> Iterator[PortraitSegmenter]:
    model = PortraitSegmenter()
    yield model
    model.close()


def test_matte_has_the_image_size_and_range(segmenter: PortraitSegmenter) -> None:
    matte = segmenter.matte(np.asarray(photo("portrait_b")))
    assert matte.shape == (824, 584) and matte.dtype == np.float32
    assert matte.min() >= 0 and matte.max() <= 1


def test_person_is_foreground_and_corners_are_background(segmenter: PortraitSegmenter) -> None:
    matte = segmenter.matte(np.asarray(photo("astronaut")))
    assert matte[ASTRONAUT_FACE_CENTRE] > 0.9
    assert matte[:40, :40].max() < 0.1
    assert matte[:40, -40:].max() < 0.1


def test_portrait_subject_covers_the_middle_not_the_top_corners(
        segmenter: PortraitSegmenter) -> None:
    matte = segmenter.matte(np.asarray(photo("portrait_a")))
    h, w = matte.shape
    assert matte[h // 2 - 20: h // 2 + 20, w // 2 - 20: w // 2 + 20].mean() > 0.9
    assert matte[: h // 8, : w // 8].mean() < 0.1


def test_texture_has_no_person(segmenter: PortraitSegmenter) -> None:
    assert segmenter.matte(np.asarray(photo("brick"))).max() < 0.1


def test_float_input_gives_the_matte_of_its_8_bit_rounding(segmenter: PortraitSegmenter) -> None:
    pixels = np.asarray(photo("astronaut"))
    as_float = pixels.astype(np.float32) / 255
    assert np.array_equal(segmenter.matte(as_float), segmenter.matte(pixels))


def test_grayscale_array_is_refused_with_the_shape(segmenter: PortraitSegmenter) -> None:
    with pytest.raises(ValueError, match=r"\(64, 64\)"):
        segmenter.matte(np.zeros((64, 64), dtype=np.uint8))
