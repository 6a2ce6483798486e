"""The face terms inside the real engine (``backend.engine.stylize``).

VGG-19 and FaceNet are seeded random (their checkpoints are not reachable here); MTCNN and
FaceMesh are real. Whether faces come out closer to the content is judged by dlib, a separately
trained landmark predictor and face descriptor, not by the FaceMesh the loss uses.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from backend.engine import ProgressEvent, Result, stylize
from backend.models.bundle import ModelBundle
from shared.options import Options
from tests.dlib_judge import identity_distance, judge_face, landmark_error
from tests.photos import photo

SIDE = 128
# Short, strong runs: with random VGG-19 the style term smears a face within 30 steps.
RUN = {"min_scale": SIDE, "end_scale": SIDE, "initial_iterations": 30, "iterations": 30,
       "step_size": 0.05}


@pytest.fixture(scope="module")
def portrait() -> Image.Image:
    """The astronaut's head and shoulders, the face about 40 % of the frame."""
    return photo("astronaut").crop((100, 0, 356, 256))


@pytest.fixture(scope="module")
def style() -> Image.Image:
    return photo("starry_night")


@pytest.fixture(scope="module")
def faces_off(models: ModelBundle, portrait: Image.Image, style: Image.Image) -> Result:
    return stylize(portrait, [style], options=Options(**RUN, face_weight=0, mesh_weight=0),
                   models=models)


@pytest.fixture(scope="module")
def faces_on(models: ModelBundle, portrait: Image.Image, style: Image.Image) -> Result:
    """The default face terms: FaceID alone, the mesh term being opt-in (docs/faces.md)."""
    events: list[ProgressEvent] = []
    result = stylize(portrait, [style], options=Options(**RUN), models=models,
                     on_progress=events.append)
    result.metadata["test_events"] = events
    return result


def content_at(image: Image.Image, result: Result) -> np.ndarray:
    h, w = result.pixels.shape[:2]
    return np.asarray(image.resize((w, h), Image.LANCZOS), dtype=np.float32) / 255


@pytest.fixture(scope="module")
def judged_content(models: ModelBundle, portrait: Image.Image,
                   faces_on: Result) -> tuple[tuple[float, ...], object]:
    """The content's face box at output size and dlib's reading of the content there."""
    content = content_at(portrait, faces_on)
    box = tuple(models.face_detector().detect(torch.from_numpy(content).permute(2, 0, 1)[None])
                .boxes[0])
    return box, judge_face(content, box)


def test_face_terms_bring_the_landmarks_closer_to_the_content(
        judged_content: tuple, faces_off: Result, faces_on: Result) -> None:
    box, reference = judged_content
    error_off = landmark_error(reference, judge_face(faces_off.pixels, box))
    error_on = landmark_error(reference, judge_face(faces_on.pixels, box))
    assert error_on < 0.7 * error_off


def test_face_terms_keep_the_identity_closer_to_the_content(
        judged_content: tuple, faces_off: Result, faces_on: Result) -> None:
    box, reference = judged_content
    assert (identity_distance(reference, judge_face(faces_on.pixels, box))
            < identity_distance(reference, judge_face(faces_off.pixels, box)))


def test_fidelity_report_agrees_that_the_face_moved_less(faces_off: Result,
                                                         faces_on: Result) -> None:
    drift_off = faces_off.metadata["faces"]["fidelity"][0]["nme"]
    drift_on = faces_on.metadata["faces"]["fidelity"][0]["nme"]
    assert drift_on < drift_off


def test_progress_reports_the_face_terms_inside_the_total(faces_on: Result) -> None:
    last = faces_on.metadata["test_events"][-1].losses
    defaults = Options()
    face_terms = {name for name, weight in (("face", defaults.face_weight),
                                            ("mesh", defaults.mesh_weight)) if weight > 0}
    assert face_terms and set(last) == {"total", "content", "style", "tv", *face_terms}
    parts = sum(v for k, v in last.items() if k != "total")
    assert last["total"] == pytest.approx(parts, rel=1e-5)


def test_metadata_records_the_faces_found_at_each_scale(faces_on: Result,
                                                        faces_off: Result) -> None:
    terms = faces_on.metadata["faces"]["terms"]
    assert terms["enabled"] and terms["mode"] == "crops" and terms["source"] == "mtcnn"
    assert [len(scale["faces"]) for scale in terms["scales"]] == [1]
    assert not faces_off.metadata["faces"]["terms"]["enabled"]
    assert {"facemesh", "mtcnn", "facenet-vggface2"} <= set(faces_on.metadata["weights"])


def small(**changes: object) -> Options:
    return Options(**{"min_scale": 64, "end_scale": 64, "initial_iterations": 3,
                      "iterations": 3, **changes})


def test_no_face_runs_exactly_the_engine_without_faces(models: ModelBundle,
                                                       style: Image.Image) -> None:
    brick = photo("brick")
    with_faces = stylize(brick, [style], options=small(), models=models)
    without = stylize(brick, [style], options=small(face_weight=0, mesh_weight=0),
                      models=models)
    assert np.array_equal(with_faces.pixels, without.pixels)
    assert with_faces.metadata["faces"]["terms"]["notes"] == ["no face found: face terms off"]
    assert with_faces.metadata["faces"]["fidelity"] == []


def test_face_options_change_nothing_while_the_face_weights_are_zero(
        models: ModelBundle, portrait: Image.Image, style: Image.Image) -> None:
    events: list[ProgressEvent] = []
    plain = stylize(portrait, [style], options=small(face_weight=0, mesh_weight=0),
                    models=models, on_progress=events.append)
    varied = stylize(portrait, [style], models=models, options=small(
        face_weight=0, mesh_weight=0, face_crops=False, square_faces=True, face_padding=0.5,
        face_boxes=((10.0, 10.0, 100.0, 100.0),), face_feather=0.0))
    assert np.array_equal(plain.pixels, varied.pixels)
    assert set(events[-1].losses) == {"total", "content", "style", "tv"}


def test_given_face_boxes_replace_detection(models: ModelBundle, portrait: Image.Image,
                                            style: Image.Image) -> None:
    box = (80.0, 60.0, 170.0, 170.0)
    result = stylize(portrait, [style], options=small(face_boxes=(box,), face_padding=0.0),
                     models=models)
    terms = result.metadata["faces"]["terms"]
    assert terms["source"] == "caller"
    assert terms["scales"][0]["faces"][0]["crop"] == [round(v / 4, 2) for v in box]
