"""An independent judge of faces for tests and benchmarks: dlib's 68-point shape predictor and
its ResNet face descriptor (from ``dlib-bin`` and ``face-recognition-models``).

The project's own FaceMesh drives the mesh loss, so judging results with it would be marking
our own homework; dlib's models were trained separately on other data.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache

import dlib
import numpy as np
from PIL import Image

# Outer eye corners in the 68-point (iBUG 300-W) scheme: the inter-ocular normaliser.
RIGHT_EYE_OUTER, LEFT_EYE_OUTER = 36, 45
# dlib's predictor was trained on faces of ~100 px and more; small results are enlarged first.
JUDGE_SIDE = 512


@lru_cache(maxsize=1)
def _models() -> tuple[dlib.shape_predictor, dlib.face_recognition_model_v1]:
    with warnings.catch_warnings():
        # face_recognition_models still imports the deprecated pkg_resources.
        warnings.simplefilter("ignore", UserWarning)
        import face_recognition_models
    return (dlib.shape_predictor(face_recognition_models.pose_predictor_model_location()),
            dlib.face_recognition_model_v1(
                face_recognition_models.face_recognition_model_location()))


@dataclass(frozen=True)
class JudgedFace:
    """dlib's reading of one face: ``points`` ``(68, 2)`` in the input image's pixels and the
    128-d identity ``descriptor``."""

    points: np.ndarray
    descriptor: np.ndarray


def _uint8(image: np.ndarray | Image.Image) -> np.ndarray:
    array = np.asarray(image)
    if array.dtype != np.uint8:
        array = np.round(np.clip(array, 0, 1) * 255).astype(np.uint8)
    return np.ascontiguousarray(array[..., :3])


def judge_face(image: np.ndarray | Image.Image,
               box: tuple[float, float, float, float]) -> JudgedFace:
    """Landmarks and descriptor of the face in ``box`` (x0, y0, x1, y1 in pixels) of ``image``
    (``(H, W, 3)`` uint8, or float in [0, 1], or PIL). The image is enlarged (bicubic) so its
    long side is at least :data:`JUDGE_SIDE` before dlib sees it."""
    pixels = _uint8(image)
    h, w = pixels.shape[:2]
    factor = max(1.0, JUDGE_SIDE / max(h, w))
    if factor > 1:
        size = (round(w * factor), round(h * factor))
        pixels = np.asarray(Image.fromarray(pixels).resize(size, Image.BICUBIC))
    predictor, recogniser = _models()
    rect = dlib.rectangle(*(round(v * factor) for v in box))
    shape = predictor(pixels, rect)
    points = np.array([[p.x, p.y] for p in shape.parts()], dtype=np.float64) / factor
    descriptor = np.array(recogniser.compute_face_descriptor(pixels, shape))
    return JudgedFace(points, descriptor)


def landmark_error(reference: JudgedFace, other: JudgedFace) -> float:
    """Mean 68-point distance normalised by the reference's inter-ocular distance (NME)."""
    inter_ocular = np.linalg.norm(reference.points[LEFT_EYE_OUTER]
                                  - reference.points[RIGHT_EYE_OUTER])
    return float(np.linalg.norm(reference.points - other.points, axis=1).mean() / inter_ocular)


def identity_distance(reference: JudgedFace, other: JudgedFace) -> float:
    """Euclidean distance of the descriptors; dlib calls two faces the same person below 0.6."""
    return float(np.linalg.norm(reference.descriptor - other.descriptor))
