"""MediaPipe's FaceMesh landmark network as a differentiable PyTorch module.

The weights are MediaPipe's own ``face_landmark.tflite`` (468 landmarks, "facemesh-lite"), read
from the installed ``mediapipe`` wheel and converted op by op (:mod:`backend.models.tflite_graph`)
at first use. The converted graph is cached per user, keyed by the file's SHA-256, so later
loads skip the flatbuffer.

Input range: MediaPipe's own graph for this file (``face_landmark_cpu.pbtxt``,
``ImageToTensorCalculator`` with ``output_tensor_float_range {min: 0, max: 1}``) feeds RGB in
[0, 1], so :class:`FaceMesh` passes its [0, 1] input through unchanged. The paper's code scaled
to [-1, 1], which suited the 2019 graph (``TfLiteConverterCalculator``, zero-centred) but is not
what this model was released with. The network tolerates both: on seven MTCNN face crops of the
test photos its landmarks agree with dlib's 68 points equally well either way (normalised mean
error 0.043 for both ranges).
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
from pathlib import Path
from typing import NamedTuple

import platformdirs
import torch
from torch import nn

from backend.models.tflite_graph import (
    SPEC_FORMAT,
    GraphSpec,
    TFLiteGraph,
    TFLiteGraphError,
    read_tflite,
)

log = logging.getLogger(__name__)

TFLITE_IN_WHEEL = Path("modules") / "face_landmark" / "face_landmark.tflite"
MEDIAPIPE_PIN = "mediapipe==0.10.21"


class FaceMeshUnavailable(RuntimeError):
    """The FaceMesh model file is missing, unreadable, or not MediaPipe's face landmark model."""


class FaceMeshOutput(NamedTuple):
    """``landmarks`` ``(N, 468, 3)``: x, y in pixels of the 192x192 crop (origin top left, x right,
    y down), z depth on roughly the scale of x, smaller nearer the camera (MediaPipe's convention).
    ``presence_logits`` ``(N,)``: sigmoid > 0.5 means the crop shows a face."""

    landmarks: torch.Tensor
    presence_logits: torch.Tensor


class FaceMesh(nn.Module):
    """468 face landmarks from a face crop, differentiable with respect to the pixels.

    ``forward(faces)``: ``faces`` ``(N, 3, 192, 192)`` RGB in [0, 1], the face roughly centred
    and filling most of the crop (a detector box widened ~1.5x) -> :class:`FaceMeshOutput`.
    """

    input_size = 192
    num_landmarks = 468

    def __init__(self, graph: TFLiteGraph, landmarks_index: int, presence_index: int) -> None:
        super().__init__()
        self.graph = graph
        self.landmarks_index = landmarks_index
        self.presence_index = presence_index

    @classmethod
    def from_spec(cls, spec: GraphSpec) -> FaceMesh:
        """Build from a decoded ``face_landmark.tflite``, checking it is the expected model."""
        size, points = cls.input_size, cls.num_landmarks
        input_shapes = [spec.shapes[tid] for tid in spec.inputs]
        output_channels = [spec.shapes[tid][-1] for tid in spec.outputs]
        if input_shapes != [(1, size, size, 3)] or sorted(output_channels) != [1, points * 3]:
            raise FaceMeshUnavailable(
                f"unexpected FaceMesh model: inputs {input_shapes}, output channels "
                f"{output_channels}; expected one (1, {size}, {size}, 3) input and outputs of "
                f"{points * 3} landmark values and 1 presence logit ({MEDIAPIPE_PIN} ships it)")
        return cls(TFLiteGraph(spec), output_channels.index(points * 3), output_channels.index(1))

    def forward(self, faces: torch.Tensor) -> FaceMeshOutput:
        size = self.input_size
        if faces.ndim != 4 or tuple(faces.shape[1:]) != (3, size, size):
            raise ValueError(f"FaceMesh expects (N, 3, {size}, {size}) crops, "
                             f"got {tuple(faces.shape)}")
        outputs = self.graph(faces)
        landmarks = outputs[self.landmarks_index].reshape(len(faces), self.num_landmarks, 3)
        return FaceMeshOutput(landmarks, outputs[self.presence_index].reshape(len(faces)))


def facemesh_tflite_path() -> Path:
    """``face_landmark.tflite`` inside the installed mediapipe wheel (found without importing
    mediapipe, which is slow to import)."""
    spec = importlib.util.find_spec("mediapipe")
    if spec is None or not spec.submodule_search_locations:
        raise FaceMeshUnavailable(
            f"the mediapipe package is not installed; FaceMesh weights come from its wheel. "
            f"Install it with: pip install {MEDIAPIPE_PIN}")
    for package_dir in spec.submodule_search_locations:
        candidate = Path(package_dir) / TFLITE_IN_WHEEL
        if candidate.is_file():
            return candidate
    raise FaceMeshUnavailable(
        f"mediapipe at {', '.join(spec.submodule_search_locations)} has no {TFLITE_IN_WHEEL} "
        f"(releases from 0.10.30 on no longer ship it). Install it with: pip install "
        f"{MEDIAPIPE_PIN}")


def default_cache_dir() -> Path:
    """Per-user folder for converted models."""
    return platformdirs.user_cache_path("portrait-stylization") / "models"


def load_facemesh(device: str | torch.device = "cpu", cache_dir: Path | None = None,
                  tflite_path: Path | None = None) -> FaceMesh:
    """A frozen, eval-mode :class:`FaceMesh` on ``device``.

    ``tflite_path`` defaults to the file in the mediapipe wheel; ``cache_dir`` to
    :func:`default_cache_dir`. The converted graph is read from the cache when it holds one for
    this file's SHA-256, and written there otherwise (a damaged cache file is rebuilt).
    Raises :class:`FaceMeshUnavailable` when the file is missing or is not the FaceMesh model.
    """
    path = facemesh_tflite_path() if tflite_path is None else Path(tflite_path)
    try:
        model_bytes = path.read_bytes()
    except OSError as error:
        raise FaceMeshUnavailable(f"cannot read the FaceMesh model {path}: {error}") from error
    digest = hashlib.sha256(model_bytes).hexdigest()
    cache_file = (default_cache_dir() if cache_dir is None else Path(cache_dir)) / (
        f"face_landmark-{digest[:16]}-spec{SPEC_FORMAT}.pt")
    spec = _read_cached_spec(cache_file)
    fresh = spec is None
    try:
        if fresh:
            spec = read_tflite(model_bytes)
        model = FaceMesh.from_spec(spec)
    except TFLiteGraphError as error:
        raise FaceMeshUnavailable(f"{path} is not a usable FaceMesh model: {error}") from error
    if fresh:  # only once the spec has built the expected model
        _write_cached_spec(cache_file, spec)
    return model.requires_grad_(False).eval().to(device)


def _read_cached_spec(cache_file: Path) -> GraphSpec | None:
    """The cached spec, or None when there is none or it cannot be read (then it is rebuilt)."""
    if not cache_file.is_file():
        return None
    try:
        return GraphSpec.from_state(torch.load(cache_file, weights_only=True))
    except Exception as error:  # any damage means "rebuild"; the source file is still there
        log.warning("ignoring damaged FaceMesh cache %s (%s); rebuilding it", cache_file, error)
        return None


def _write_cached_spec(cache_file: Path, spec: GraphSpec) -> None:
    """Write atomically, so a concurrent reader sees the old file or the new one, never half."""
    scratch = cache_file.with_name(f"{cache_file.name}.{os.getpid()}.tmp")
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        torch.save(spec.to_state(), scratch)
        os.replace(scratch, cache_file)
    except OSError as error:  # an unwritable cache only costs the next load ~0.1 s
        scratch.unlink(missing_ok=True)
        log.warning("could not cache the converted FaceMesh in %s: %s", cache_file, error)
