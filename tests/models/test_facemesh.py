"""The torch FaceMesh against MediaPipe's reference interpreter, on real faces."""

from __future__ import annotations

import copy
import sys

import numpy as np
import pytest
import torch
from ai_edge_litert.interpreter import Interpreter
from facenet_pytorch import MTCNN
from PIL import Image

from backend.models.facemesh import (
    FaceMesh,
    FaceMeshUnavailable,
    facemesh_tflite_path,
    load_facemesh,
)
from tests.photos import photo

FACE_PHOTOS = ("astronaut", "portrait_a", "portrait_b", "group")
TEXTURES = ("brick", "grass")
DETECTION_SIDE = 400  # MTCNN runs on a downscaled copy: the faces here are large, CPU is slow
CROP_SCALE = 1.5  # MediaPipe widens its detector's box about this much before FaceMesh


def square_crop(image: Image.Image, box: np.ndarray) -> tuple[torch.Tensor, np.ndarray]:
    """A 192x192 crop (3, 192, 192) in [0, 1] centred on ``box`` (x0, y0, x1, y1) and the box in
    crop pixels."""
    side = CROP_SCALE * max(box[2] - box[0], box[3] - box[1])
    left, top = (box[0] + box[2] - side) / 2, (box[1] + box[3] - side) / 2
    region = tuple(round(v) for v in (left, top, left + side, top + side))
    crop = image.crop(region).resize((192, 192), Image.BILINEAR)
    scale = 192 / (region[2] - region[0])
    box_in_crop = (box - np.array(region[:2] * 2)) * scale
    return torch.from_numpy(np.asarray(crop, np.float32) / 255).permute(2, 0, 1), box_in_crop


@pytest.fixture(scope="module")
def faces() -> tuple[torch.Tensor, np.ndarray]:
    """Every face MTCNN finds in the test portraits: crops (N, 3, 192, 192), boxes (N, 4)."""
    detector = MTCNN(keep_all=True, device="cpu")
    crops, boxes = [], []
    for name in FACE_PHOTOS:
        image = photo(name)
        shrink = min(1.0, DETECTION_SIDE / max(image.size))
        small = image.resize((round(image.width * shrink), round(image.height * shrink)))
        found, _ = detector.detect(small)
        assert found is not None, f"MTCNN found no face in {name}"
        for box in np.asarray(found, float) / shrink:
            crop, box_in_crop = square_crop(image, box)
            crops.append(crop)
            boxes.append(box_in_crop)
    return torch.stack(crops), np.stack(boxes)


@pytest.fixture(scope="module")
def textures() -> torch.Tensor:
    """Face-free photos resized to (N, 3, 192, 192) in [0, 1]."""
    arrays = [np.asarray(photo(name).resize((192, 192), Image.BILINEAR), np.float32) / 255
              for name in TEXTURES]
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2)


@pytest.fixture(scope="module")
def facemesh(tmp_path_factory: pytest.TempPathFactory) -> FaceMesh:
    return load_facemesh("cpu", cache_dir=tmp_path_factory.mktemp("facemesh-cache"))


def reference(crops: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """MediaPipe's own interpreter on each crop: landmarks (N, 468, 3), presence logits (N,)."""
    interpreter = Interpreter(model_path=str(facemesh_tflite_path()))
    interpreter.allocate_tensors()
    outputs = {o["name"]: o["index"] for o in interpreter.get_output_details()}
    landmarks, presence = [], []
    for crop in crops:
        nhwc = crop.permute(1, 2, 0).numpy()[None]
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], nhwc)
        interpreter.invoke()
        landmarks.append(interpreter.get_tensor(outputs["conv2d_21"]).reshape(468, 3))
        presence.append(interpreter.get_tensor(outputs["conv2d_31"]).item())
    return np.stack(landmarks), np.array(presence)


def test_landmarks_and_presence_match_the_reference_interpreter(facemesh, faces, textures):
    crops = torch.cat([faces[0], textures])
    expected_landmarks, expected_presence = reference(crops)
    with torch.no_grad():
        landmarks, presence = facemesh(crops)
    assert np.abs(landmarks.numpy() - expected_landmarks).max() <= 1e-3
    assert np.abs(presence.numpy() - expected_presence).max() <= 1e-3


def test_presence_logit_tells_faces_from_textures(facemesh, faces, textures):
    with torch.no_grad():
        face_presence = facemesh(faces[0]).presence_logits
        texture_presence = facemesh(textures).presence_logits
    assert (face_presence > 5).all()
    assert (texture_presence < -5).all()


def test_landmarks_lie_on_the_detected_face(facemesh, faces):
    crops, boxes = faces
    with torch.no_grad():
        landmarks = facemesh(crops).landmarks.numpy()
    for points, box in zip(landmarks, boxes, strict=True):
        xy = points[:, :2]
        assert ((xy >= 0) & (xy <= 192)).all(axis=1).mean() >= 0.95
        spread = np.concatenate([xy.min(axis=0), xy.max(axis=0)])
        overlap = np.clip(np.minimum(spread[2:], box[2:]) - np.maximum(spread[:2], box[:2]), 0,
                          None).prod()
        union = np.prod(spread[2:] - spread[:2]) + np.prod(box[2:] - box[:2]) - overlap
        assert overlap / union >= 0.6


def test_a_batch_gives_each_face_its_own_result(facemesh, faces):
    crops = faces[0]
    with torch.no_grad():
        batched = facemesh(crops).landmarks
        single = torch.cat([facemesh(crop[None]).landmarks for crop in crops])
    torch.testing.assert_close(batched, single, rtol=0, atol=1e-3)


def test_gradients_reach_every_pixel_of_the_face(facemesh, faces):
    crops, boxes = faces
    crops = crops[:2].clone().requires_grad_(True)
    facemesh(crops).landmarks.square().sum().backward()
    assert torch.isfinite(crops.grad).all()
    for gradient, box in zip(crops.grad, boxes[:2], strict=True):
        x0, y0, x1, y1 = np.clip(np.round(box).astype(int), 0, 192)
        on_face = gradient[:, y0:y1, x0:x1].abs().amax(dim=0)
        assert (on_face > 0).float().mean() >= 0.99


def test_gradient_matches_finite_differences(facemesh, faces):
    # One pixel at a time: a perturbation of the whole image crosses so many PReLU kinks that
    # central differences stop measuring the derivative.
    model = copy.deepcopy(facemesh).double()
    crop = faces[0][:1].double().requires_grad_(True)

    def mesh_energy(x: torch.Tensor) -> torch.Tensor:
        return model(x).landmarks.square().sum()

    mesh_energy(crop).backward()
    step = 1e-4
    for channel, row, column in [(0, 60, 70), (1, 96, 96), (2, 130, 110), (0, 150, 60)]:
        nudge = torch.zeros_like(crop)
        nudge[0, channel, row, column] = step
        with torch.no_grad():
            numeric = (mesh_energy(crop + nudge) - mesh_energy(crop - nudge)) / (2 * step)
        analytic = crop.grad[0, channel, row, column]
        assert analytic.item() == pytest.approx(numeric.item(), rel=1e-3)


def test_cached_build_equals_a_fresh_build(tmp_path, faces):
    fresh = load_facemesh("cpu", cache_dir=tmp_path)
    (cache_file,) = tmp_path.iterdir()
    written = cache_file.stat().st_mtime_ns
    cached = load_facemesh("cpu", cache_dir=tmp_path)
    assert cache_file.stat().st_mtime_ns == written
    fresh_state, cached_state = fresh.state_dict(), cached.state_dict()
    assert fresh_state.keys() == cached_state.keys()
    assert all(torch.equal(fresh_state[k], cached_state[k]) for k in fresh_state)
    with torch.no_grad():
        assert torch.equal(fresh(faces[0]).landmarks, cached(faces[0]).landmarks)


def test_a_damaged_cache_is_rebuilt(tmp_path):
    load_facemesh("cpu", cache_dir=tmp_path)
    (cache_file,) = tmp_path.iterdir()
    cache_file.write_bytes(b"not a torch file")
    model = load_facemesh("cpu", cache_dir=tmp_path)
    assert isinstance(model, FaceMesh)
    assert isinstance(torch.load(cache_file, weights_only=True), dict)


def test_missing_mediapipe_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "mediapipe", None)  # how Python marks a package absent
    with pytest.raises(FaceMeshUnavailable, match=r"pip install mediapipe==0\.10\.21"):
        load_facemesh("cpu")


def test_a_mediapipe_without_the_model_file_names_the_release_that_has_it(tmp_path, monkeypatch):
    (tmp_path / "mediapipe").mkdir()
    (tmp_path / "mediapipe" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "mediapipe", raising=False)
    with pytest.raises(FaceMeshUnavailable, match=r"no longer ship it.*mediapipe==0\.10\.21"):
        facemesh_tflite_path()


def test_missing_model_file_is_reported(tmp_path):
    with pytest.raises(FaceMeshUnavailable, match="cannot read the FaceMesh model"):
        load_facemesh("cpu", cache_dir=tmp_path, tflite_path=tmp_path / "absent.tflite")


def test_a_file_that_is_not_tflite_is_refused(tmp_path):
    bogus = tmp_path / "face_landmark.tflite"
    bogus.write_bytes(b"\x00" * 64)
    with pytest.raises(FaceMeshUnavailable, match="not a usable FaceMesh model"):
        load_facemesh("cpu", cache_dir=tmp_path, tflite_path=bogus)


def test_another_mediapipe_model_is_refused_as_facemesh(tmp_path):
    hand_recrop = facemesh_tflite_path().parents[1] / "holistic_landmark" / "hand_recrop.tflite"
    with pytest.raises(FaceMeshUnavailable, match="unexpected FaceMesh model"):
        load_facemesh("cpu", cache_dir=tmp_path, tflite_path=hand_recrop)
    assert not any(tmp_path.iterdir())  # nothing cached for a model that is not FaceMesh


def test_crops_of_the_wrong_size_are_refused(facemesh):
    with pytest.raises(ValueError, match=r"\(N, 3, 192, 192\)"):
        facemesh(torch.zeros(1, 3, 160, 160))
