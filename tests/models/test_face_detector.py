"""MTCNN face boxes on real photographs (weights from the facenet-pytorch wheel)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from backend.models.face_detector import FaceDetector
from tests.photos import photo

# ENVIRONMENT.md: the astronaut's face as MTCNN sees it in the 512 px original.
ASTRONAUT_FACE = (181.05, 62.16, 267.75, 172.05)


@pytest.fixture(scope="module")
def detector() -> FaceDetector:
    return FaceDetector("cpu")


def test_single_portrait_gives_one_confident_box(detector: FaceDetector) -> None:
    found = detector.detect(np.asarray(photo("astronaut")))
    assert len(found) == 1
    assert np.allclose(found.boxes[0], ASTRONAUT_FACE, atol=2.0)
    assert found.probabilities[0] > 0.99


@pytest.mark.parametrize("name", ["portrait_a", "portrait_b", "messi"])
def test_each_portrait_has_one_face(detector: FaceDetector, name: str) -> None:
    found = detector.detect(np.asarray(photo(name)))
    assert len(found) == 1
    assert found.probabilities[0] > 0.99


def test_group_photo_gives_every_face_left_to_right(detector: FaceDetector) -> None:
    image = photo("group").resize((512, 256), Image.LANCZOS)
    found = detector.detect(np.asarray(image))
    assert len(found) == 3
    assert np.all(found.probabilities > 0.99)
    assert np.all(np.diff(found.boxes[:, 0]) > 0)
    assert found.boxes.dtype == np.float64 and found.boxes.shape == (3, 4)


def test_texture_without_faces_gives_empty_arrays(detector: FaceDetector) -> None:
    found = detector.detect(np.asarray(photo("brick")))
    assert len(found) == 0
    assert found.boxes.shape == (0, 4) and found.probabilities.shape == (0,)


def test_boxes_follow_the_image_scale(detector: FaceDetector) -> None:
    half = photo("astronaut").resize((256, 256), Image.LANCZOS)
    found = detector.detect(np.asarray(half))
    assert np.allclose(found.boxes[0] * 2, ASTRONAUT_FACE, atol=6.0)


def test_tensor_input_finds_the_same_boxes_as_the_array(detector: FaceDetector) -> None:
    array = np.array(photo("astronaut").resize((200, 200), Image.LANCZOS))
    tensor = torch.from_numpy(array).permute(2, 0, 1)[None].float() / 255
    from_tensor, from_array = detector.detect(tensor), FaceDetector("cpu").detect(array)
    assert np.array_equal(from_tensor.boxes, from_array.boxes)


def test_minimum_size_drops_faces_smaller_than_asked(detector: FaceDetector) -> None:
    image = np.asarray(photo("messi"))  # the face is about 26 px wide
    assert len(detector.detect(image, min_size=20)) == 1
    assert len(detector.detect(image, min_size=80)) == 0


def test_the_same_image_is_detected_once(detector: FaceDetector) -> None:
    image = np.asarray(photo("portrait_a"))
    assert detector.detect(image) is detector.detect(image.copy())


def test_a_batch_of_images_is_refused(detector: FaceDetector) -> None:
    with pytest.raises(ValueError, match="one image"):
        detector.detect(torch.rand(2, 3, 64, 64))


def test_image_smaller_than_the_minimum_face_gives_no_face(detector: FaceDetector) -> None:
    thumbnail = np.asarray(photo("astronaut").resize((32, 16)))
    found = detector.detect(thumbnail, min_size=20)
    assert found.boxes.shape == (0, 4)
