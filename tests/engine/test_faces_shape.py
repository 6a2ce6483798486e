"""Where the face terms pull inside a crop: the face's FaceMesh oval, feathered across its
outline, or the crop rectangle where FaceMesh is unsure (real FaceMesh and MTCNN)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from PIL import Image

from backend.engine.face_shape import FACE_OVAL, oval_masks, region_masks
from backend.engine.faces import FACEMESH_SIZE, FACENET_SIZE, FaceGuide, crop_faces
from backend.models.bundle import ModelBundle
from shared.options import Options
from tests.photos import photo

SIZES = (FACENET_SIZE, FACEMESH_SIZE)


def tensor_of(image: Image.Image) -> torch.Tensor:
    return torch.from_numpy(np.array(image, dtype=np.float32) / 255).permute(2, 0, 1)[None]


def circle_landmarks(centre: float, radius: float) -> torch.Tensor:
    """``(1, 468, 3)`` landmarks whose face oval is a circle (the other points at the centre)."""
    landmarks = torch.full((1, 468, 3), centre)
    for i, index in enumerate(FACE_OVAL):
        angle = 2 * math.pi * i / len(FACE_OVAL)
        landmarks[0, index, 0] = centre + radius * math.cos(angle)
        landmarks[0, index, 1] = centre + radius * math.sin(angle)
    return landmarks


def test_the_face_oval_is_mediapipes_outline_in_order() -> None:
    from mediapipe.python.solutions.face_mesh_connections import FACEMESH_FACE_OVAL

    following = FACE_OVAL[1:] + FACE_OVAL[:1]
    ours = {frozenset(pair) for pair in zip(FACE_OVAL, following, strict=True)}
    assert ours == {frozenset(pair) for pair in FACEMESH_FACE_OVAL}


def test_an_oval_mask_straddles_the_forehead_and_lies_outside_the_jaw() -> None:
    # circle_landmarks puts FACE_OVAL's point i at 10·i degrees: the forehead's first point
    # (10) on the right, the chin (152, the 19th) on the left.
    [[mask]] = oval_masks(circle_landmarks(96.0, 50.0), 192, 0.1)
    assert float(mask[96, 96]) == 1.0
    assert float(mask[95, 96 + 50 - 12]) == 1.0  # more than half the fade (9.6 px) inside
    assert 0.3 < float(mask[95, 146]) < 0.7  # the pixel centre lies on the outline
    assert float(mask[95, 96 + 50 + 12]) == 0.0
    # the chin: held in full on the outline, half way at half the fade (19.2 px) outside
    assert float(mask[95, 96 - 50]) == pytest.approx(1.0, abs=0.01)
    assert 0.3 < float(mask[95, 96 - 50 - 10]) < 0.7
    assert float(mask[95, 96 - 50 - 20]) == 0.0
    assert float(mask[0, 0]) == 0.0


def test_without_feather_the_oval_is_hard() -> None:
    mask = oval_masks(circle_landmarks(96.0, 50.0), 192, 0.0)
    assert set(mask.unique().tolist()) == {0.0, 1.0}


def test_a_real_face_gets_its_oval_at_both_network_sizes(models: ModelBundle) -> None:
    astronaut = tensor_of(photo("astronaut").resize((256, 256), Image.LANCZOS))
    guide = FaceGuide((512, 512), Options(), models)
    crops = guide.locator.at(astronaut).crops
    masks, regions = region_masks(crop_faces(astronaut, crops, FACEMESH_SIZE), SIZES,
                                  models.facemesh(), 0.15)
    assert regions == ["oval"]
    for size in SIZES:
        mask = masks[size][0, 0]
        assert mask.shape == (size, size)
        assert float(mask[size // 2, size // 2]) == pytest.approx(1.0)
        assert float(mask[:3, :3].max()) == 0.0 and float(mask[-3:, -3:].max()) == 0.0


def test_a_crop_facemesh_does_not_trust_falls_back_to_the_box(models: ModelBundle) -> None:
    brick = tensor_of(photo("brick").resize((192, 192), Image.LANCZOS))
    masks, regions = region_masks(brick, SIZES, models.facemesh(), 0.15)
    assert regions == ["box"]
    assert float(masks[FACEMESH_SIZE][0, 0, 96, 96]) == 1.0
    assert float(masks[FACEMESH_SIZE][0, 0, 0, :].max()) < 0.01


def test_the_box_shape_needs_no_facemesh_without_the_mesh_term() -> None:
    needs = FaceGuide.needs(Options(mesh_weight=0.0, face_shape="box"))
    assert "facemesh" not in {need.model for need in needs}
    needs = FaceGuide.needs(Options(mesh_weight=0.0))
    assert "facemesh" in {need.model for need in needs}
