"""Six face keypoints from MediaPipe's short-range face detector (BlazeFace; its model,
``face_detection_short_range.tflite``, ships in the mediapipe wheel).

The fidelity report's judge: no loss of the engine optimizes this network, so a result cannot
please it by painting texture the way it can please the FaceMesh the mesh term uses.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

import numpy as np

from backend.models.mediapipe_input import rgb_uint8
from backend.models.mediapipe_logs import quiet_mediapipe

# 0: the short-range model (128×128 input, faces within about 2 m), fit for face crops.
SHORT_RANGE_MODEL = 0
# BlazeFace's keypoint order (mediapipe FaceKeyPoint): the eye centres come first.
KEYPOINT_NAMES = ("right_eye", "left_eye", "nose_tip", "mouth_centre", "right_ear_tragion",
                  "left_ear_tragion")
# The frame that opens the graph: its size matters not.
WARM_UP_SHAPE = (64, 64, 3)


class FaceKeypoints(NamedTuple):
    """One face: ``points`` ``(6, 2)`` float32 x, y in pixels of the image given, in
    :data:`KEYPOINT_NAMES` order, and the detector's ``score`` in [0, 1]."""

    points: np.ndarray
    score: float


class FaceKeypointJudge:
    """The most confident face of an RGB image and its six keypoints.

    ``min_score`` in [0, 1]: detections below it count as no face (MediaPipe's default 0.5).
    """

    def __init__(self, min_score: float = 0.5) -> None:
        # mediapipe takes about a second to import: loaded only when a report needs it.
        from mediapipe.python.solutions.face_detection import FaceDetection

        # Its graph opens on threads of its own; its notices are all out by the end of the
        # first frame, so that frame (a blank one; the detector keeps no state) runs here.
        with quiet_mediapipe():
            self._solution = FaceDetection(model_selection=SHORT_RANGE_MODEL,
                                           min_detection_confidence=min_score)
            self._solution.process(np.zeros(WARM_UP_SHAPE, np.uint8))
        # The MediaPipe graph processes one frame at a time.
        self._lock = threading.Lock()

    def keypoints(self, image: np.ndarray) -> FaceKeypoints | None:
        """``image``: ``(H, W, 3)`` RGB, uint8 or float in [0, 1]. Returns the most confident
        face, or None when the detector finds none. ValueError for another shape."""
        image = rgb_uint8(image)
        with self._lock:
            detections = self._solution.process(image).detections
        if not detections:
            return None
        best = max(detections, key=lambda detection: detection.score[0])
        h, w = image.shape[:2]
        points = np.array([(p.x * w, p.y * h)
                           for p in best.location_data.relative_keypoints], dtype=np.float32)
        return FaceKeypoints(points, float(best.score[0]))

    def close(self) -> None:
        """Free the MediaPipe graph."""
        with self._lock:
            self._solution.close()
