"""Face boxes, crops and the face terms on real photographs (MTCNN and FaceMesh real, FaceNet
seeded random: its VGGFace2 checkpoint is not reachable here)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from backend.engine.face_shape import feather_mask
from backend.engine.faces import (
    FaceGuide,
    FaceLocator,
    crop_faces,
    padded_box,
)
from backend.engine.losses import scaled_squared_error
from backend.models.bundle import ModelBundle
from backend.weights import WeightsConfig
from shared.options import Options
from tests.photos import photo

ASTRONAUT_FACE = (181.05, 62.16, 267.75, 172.05)  # MTCNN, 512 px original
# The mesh term is opt-in (its default weight is 0, docs/faces.md): both terms, as a user who
# turns it on gets them.
BOTH_TERMS = Options(mesh_weight=0.015)


def tensor_of(image: Image.Image) -> torch.Tensor:
    return torch.from_numpy(np.array(image, dtype=np.float32) / 255).permute(2, 0, 1)[None]


@pytest.fixture(scope="module")
def group() -> torch.Tensor:
    return tensor_of(photo("group").resize((256, 128), Image.LANCZOS))


@pytest.fixture(scope="module")
def astronaut() -> torch.Tensor:
    return tensor_of(photo("astronaut").resize((128, 128), Image.LANCZOS))


def test_padding_grows_each_side_by_a_fraction_of_the_long_side() -> None:
    assert padded_box((10, 20, 30, 60), 0.2, False, (100, 100)) == (2, 12, 38, 68)


def test_squaring_adds_half_the_side_difference_to_the_short_sides() -> None:
    x0, y0, x1, y1 = padded_box((30, 20, 50, 60), 0.2, True, (100, 100))
    assert (x0, y0, x1, y1) == (12, 12, 68, 68)
    assert x1 - x0 == y1 - y0


def test_padded_boxes_are_clipped_to_the_image() -> None:
    assert padded_box((2, 5, 40, 95), 0.5, False, (60, 100)) == (0, 0, 60, 100)


def test_every_face_of_a_group_photo_is_cropped_left_to_right(models: ModelBundle,
                                                              group: torch.Tensor) -> None:
    faces = FaceLocator((1162, 580), Options(), models.face_detector()).at(group)
    assert faces.crops.shape == (3, 4)
    assert torch.all(faces.crops[1:, 0] > faces.crops[:-1, 0])
    assert [face["probability"] > 0.99 for face in faces.found] == [True] * 3
    assert faces.size == (256, 128) and not faces.skipped


def test_faces_below_the_confidence_threshold_are_skipped(models: ModelBundle,
                                                          astronaut: torch.Tensor) -> None:
    probability = float(models.face_detector().detect(astronaut).probabilities[0])
    below = FaceLocator((512, 512), Options(face_threshold=probability - 1e-4),
                        models.face_detector()).at(astronaut)
    above = FaceLocator((512, 512), Options(face_threshold=min(probability + 1e-4, 1.0)),
                        models.face_detector()).at(astronaut)
    assert len(below.crops) == 1
    assert len(above.crops) == 0 and "face_threshold" in above.skipped[0]["reason"]


def test_faces_smaller_than_the_minimum_size_are_skipped(models: ModelBundle,
                                                         group: torch.Tensor) -> None:
    faces = FaceLocator((1162, 580), Options(min_face_size=100), models.face_detector()).at(group)
    assert len(faces.crops) == 0
    assert len(faces.skipped) == 3
    assert all("min_face_size" in face["reason"] for face in faces.skipped)


def test_faces_are_detected_once_per_scale(models: ModelBundle, group: torch.Tensor) -> None:
    locator = FaceLocator((1162, 580), Options(), models.face_detector())
    assert locator.at(group) is locator.at(group.clone())
    half = torch.nn.functional.interpolate(group, scale_factor=0.5, mode="area")
    assert locator.at(half).size == (128, 64)
    assert [s["width"] for s in locator.metadata()] == [128, 256]


def test_given_boxes_replace_detection_and_follow_the_scale(astronaut: torch.Tensor) -> None:
    options = Options(face_boxes=(ASTRONAUT_FACE,), face_padding=0.0)
    faces = FaceLocator((512, 512), options, detector=None).at(astronaut)
    assert torch.allclose(faces.crops[0], torch.tensor(ASTRONAUT_FACE) / 4)
    assert "probability" not in faces.found[0]


def test_given_boxes_outside_the_image_are_skipped(astronaut: torch.Tensor) -> None:
    options = Options(face_boxes=((600.0, 10.0, 700.0, 90.0), ASTRONAUT_FACE))
    faces = FaceLocator((512, 512), options, detector=None).at(astronaut)
    assert len(faces.crops) == 1
    assert faces.skipped[0]["reason"] == "outside the image"


def test_a_crop_of_the_whole_image_at_its_own_size_is_the_image() -> None:
    image = torch.rand(1, 3, 40, 40)
    assert torch.equal(crop_faces(image, torch.tensor([[0.0, 0.0, 40.0, 40.0]]), 40), image)


def test_a_whole_pixel_crop_at_its_own_size_is_the_slice() -> None:
    image = torch.rand(1, 3, 50, 60)
    crop = crop_faces(image, torch.tensor([[10.0, 5.0, 42.0, 37.0]]), 32)
    assert torch.allclose(crop, image[:, :, 5:37, 10:42], atol=1e-6)


def test_feather_mask_is_one_inside_and_falls_to_zero_at_the_border() -> None:
    mask = feather_mask(160, 0.15)[0, 0]
    assert mask[80, 80] == 1 and mask[24:136, 24:136].min() == 1
    assert mask[0, 80] < 0.01 and mask[80, 0] < 0.01 and mask[159, 159] < 1e-4
    assert torch.all(torch.diff(mask[80, :80]) >= 0)
    assert torch.equal(mask, mask.flip(0)) and torch.equal(mask, mask.T)


def test_no_feather_means_a_hard_crop() -> None:
    assert torch.equal(feather_mask(192, 0.0), torch.ones(1, 1, 192, 192))


def test_all_faces_are_concatenated_layer_by_layer(models: ModelBundle,
                                                   group: torch.Tensor) -> None:
    terms = FaceGuide((1162, 580), BOTH_TERMS, models).for_scale(group)
    assert terms.n_faces == 3
    assert {k: tuple(v.shape) for k, v in terms.face_targets.items()} == {
        0: (3, 32, 79, 79), 1: (3, 32, 77, 77), 3: (3, 64, 38, 38), 4: (3, 80, 38, 38),
        5: (3, 192, 36, 36)}
    assert terms.mesh_target.shape == (3, 468, 3)


def test_terms_vanish_at_the_content_and_grow_away_from_it(models: ModelBundle,
                                                           astronaut: torch.Tensor) -> None:
    terms = FaceGuide((512, 512), BOTH_TERMS, models).for_scale(astronaut)
    at_content = terms(astronaut)
    moved = terms((astronaut + 0.1 * torch.randn_like(astronaut)).clamp(0, 1))
    assert set(at_content) == {"face", "mesh"}
    assert all(float(value) == 0 for value in at_content.values())
    assert all(float(value) > 0 for value in moved.values())


def test_the_defaults_run_faceid_alone_with_facemesh_only_for_the_face_oval(
        models: ModelBundle, astronaut: torch.Tensor) -> None:
    guide = FaceGuide((512, 512), Options(), models)
    terms = guide.for_scale(astronaut)
    assert guide.facemesh is None and guide.shape_mesh is not None
    assert terms.facemesh is None and terms.mesh_target is None
    assert set(terms(astronaut)) == {"face"}


def test_face_term_is_its_weight_shared_equally_by_the_layers(models: ModelBundle,
                                                              astronaut: torch.Tensor) -> None:
    options = Options(face_weight=0.3, mesh_weight=0.0, face_feather=0.0,
                      face_region_error=False, face_luma=False)
    terms = FaceGuide((512, 512), options, models).for_scale(astronaut)
    image = (astronaut + 0.05).clamp(0, 1)
    crops = crop_faces(image, terms.crops, 160)
    features = models.facenet(options.face_layers)(crops)
    expected = sum(scaled_squared_error(features[layer], target)
                   for layer, target in terms.face_targets.items()) * 0.3 / 5
    assert set(terms(image)) == {"face"}
    assert torch.allclose(terms(image)["face"], expected)


def test_crop_terms_pull_only_inside_the_crops_and_fade_at_their_border(
        models: ModelBundle, astronaut: torch.Tensor) -> None:
    image = (astronaut + 0.1 * torch.randn_like(astronaut)).clamp(0, 1).requires_grad_()
    terms = FaceGuide((512, 512), BOTH_TERMS, models).for_scale(astronaut)
    sum(terms(image).values()).backward()
    pull = image.grad.abs().sum(dim=1)[0]
    x0, y0, x1, y1 = terms.crops[0].tolist()
    # Bilinear sampling at the box edge reaches the pixel just outside it.
    near = torch.zeros_like(pull, dtype=torch.bool)
    near[int(y0) - 1: int(y1) + 2, int(x0) - 1: int(x1) + 2] = True
    assert pull[~near].max() == 0
    border = torch.cat([pull[int(y0):int(y1), int(x0)], pull[int(y0):int(y1), int(x1)],
                        pull[int(y0), int(x0):int(x1)], pull[int(y1), int(x0):int(x1)]])
    assert border.max() < 0.01 * pull.max()


def test_whole_image_mode_pulls_everywhere_through_one_view(models: ModelBundle,
                                                            astronaut: torch.Tensor) -> None:
    terms = FaceGuide((512, 512), BOTH_TERMS.replace(face_crops=False),
                      models).for_scale(astronaut)
    assert terms.crops is None and terms.n_faces == 1
    assert terms.face_targets[0].shape == (1, 32, 63, 63)
    image = (astronaut + 0.1 * torch.randn_like(astronaut)).clamp(0, 1).requires_grad_()
    sum(terms(image).values()).backward()
    assert image.grad[0, :, :10, :10].abs().sum() > 0


def test_no_face_means_no_terms_and_a_note(models: ModelBundle) -> None:
    guide = FaceGuide((128, 128), Options(), models)
    brick = tensor_of(photo("brick").resize((128, 128), Image.LANCZOS))
    assert guide.for_scale(brick) is None
    assert guide.metadata()["notes"] == ["no face found: face terms off"]


def test_mesh_only_loads_no_facenet(astronaut: torch.Tensor) -> None:
    bundle = ModelBundle("cpu", WeightsConfig())
    terms = FaceGuide((512, 512), BOTH_TERMS.replace(face_weight=0.0),
                      bundle).for_scale(astronaut)
    assert set(terms(astronaut)) == {"mesh"}
    assert not any(name.startswith("facenet") for name in bundle.loaded())
