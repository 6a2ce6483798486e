"""The face-fidelity report: the independent judge's keypoint drift (MediaPipe face detection)
and FaceMesh landmark drift between content and result, in pixels and eye distances (real
FaceMesh, face detector and MTCNN)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from backend.engine.faces import FaceLocator
from backend.engine.fidelity import faces_metadata, fidelity_report, landmarks_in_image
from backend.models.bundle import ModelBundle
from backend.weights import WeightsConfig
from shared.options import Options
from tests.photos import photo


@pytest.fixture(scope="module")
def models() -> ModelBundle:
    return ModelBundle("cpu", WeightsConfig())


def tensor_of(image: Image.Image) -> torch.Tensor:
    return torch.from_numpy(np.array(image, dtype=np.float32) / 255).permute(2, 0, 1)[None]


@pytest.fixture(scope="module")
def astronaut() -> torch.Tensor:
    return tensor_of(photo("astronaut").resize((256, 256), Image.LANCZOS))


def crops_of(models: ModelBundle, image: torch.Tensor) -> torch.Tensor:
    size = (image.shape[3], image.shape[2])
    return FaceLocator(size, Options(), models.face_detector()).at(image).crops


def test_an_unchanged_image_has_no_drift(models: ModelBundle, astronaut: torch.Tensor) -> None:
    [face] = fidelity_report(astronaut, astronaut.clone(), crops_of(models, astronaut),
                             models.facemesh(), models.face_judge())
    assert face["keypoint_nme"] == 0 and face["keypoint_drift_px"] == 0
    assert face["mean_drift_px"] == 0 and face["max_drift_px"] == 0
    assert face["presence_content"] > 0.9 and face["presence_result"] > 0.9


def test_a_shifted_face_drifts_by_the_shift(models: ModelBundle,
                                            astronaut: torch.Tensor) -> None:
    shifted = torch.roll(astronaut, shifts=3, dims=3)
    [face] = fidelity_report(astronaut, shifted, crops_of(models, astronaut), models.facemesh(),
                             models.face_judge())
    assert face["keypoint_drift_px"] == pytest.approx(3, abs=1)
    assert face["keypoint_nme"] == pytest.approx(
        face["keypoint_drift_px"] / face["inter_pupil_px"], rel=1e-2)
    assert face["mean_drift_px"] == pytest.approx(3, abs=0.75)
    assert face["nme"] == pytest.approx(
        face["mean_drift_px"] / face["inter_ocular_px"], rel=1e-3)


def test_a_face_the_judge_cannot_find_has_no_keypoint_drift(models: ModelBundle,
                                                            astronaut: torch.Tensor) -> None:
    grey = torch.full_like(astronaut, 0.5)
    [face] = fidelity_report(astronaut, grey, crops_of(models, astronaut), models.facemesh(),
                             models.face_judge())
    assert face["keypoint_score_content"] > 0.5 and face["keypoint_score_result"] is None
    assert face["keypoint_nme"] is None and face["keypoint_drift_px"] is None


def test_landmarks_are_in_image_pixels_whatever_the_scale(models: ModelBundle,
                                                          astronaut: torch.Tensor) -> None:
    crops = crops_of(models, astronaut)
    small, _ = landmarks_in_image(models.facemesh(), astronaut, crops)
    large_image = tensor_of(photo("astronaut"))
    large, _ = landmarks_in_image(models.facemesh(), large_image, crops * 2)
    inter_ocular = (small[0, 263] - small[0, 33]).norm()
    assert (large / 2 - small).norm(dim=-1).mean() < 0.1 * inter_ocular


def test_inter_ocular_distance_is_about_half_the_face_width(models: ModelBundle,
                                                            astronaut: torch.Tensor) -> None:
    found = models.face_detector().detect(astronaut)
    face_width = found.boxes[0, 2] - found.boxes[0, 0]
    [face] = fidelity_report(astronaut, astronaut, crops_of(models, astronaut),
                             models.facemesh(), models.face_judge())
    assert 0.4 * face_width < face["inter_ocular_px"] < 0.8 * face_width


def test_every_face_of_a_group_gets_a_report(models: ModelBundle) -> None:
    group = tensor_of(photo("group").resize((512, 256), Image.LANCZOS))
    report = fidelity_report(group, group, crops_of(models, group),
                             models.facemesh(), models.face_judge())
    assert len(report) == 3


def test_metadata_without_face_terms_still_reports_fidelity(models: ModelBundle,
                                                            astronaut: torch.Tensor) -> None:
    options = Options(face_weight=0, mesh_weight=0)
    metadata = faces_metadata(astronaut, astronaut, (512, 512), options, models)
    assert metadata["terms"]["enabled"] is False
    assert len(metadata["fidelity"]) == 1 and metadata["fidelity_notes"] == []


def test_metadata_on_a_texture_says_there_is_no_face(models: ModelBundle) -> None:
    brick = tensor_of(photo("brick").resize((128, 128), Image.LANCZOS))
    metadata = faces_metadata(brick, brick, (512, 512), Options(face_weight=0, mesh_weight=0),
                              models)
    assert metadata["fidelity"] == []
    assert metadata["fidelity_notes"] == ["no face found: no fidelity report"]
