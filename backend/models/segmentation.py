"""Portrait matte from MediaPipe's selfie segmentation (its model ships in the mediapipe wheel).

The paper removes backgrounds with MODNet, whose weights are not available offline; the selfie
segmentation model serves the same purpose (person versus background).
"""

from __future__ import annotations

import threading

import numpy as np

from backend.models.mediapipe_input import rgb_uint8
from backend.models.mediapipe_logs import quiet_mediapipe

# 0: the general model (256×256 input), better on portraits than the landscape one (1).
GENERAL_MODEL = 0
# The frame that opens the graph: its size matters not.
WARM_UP_SHAPE = (64, 64, 3)


class PortraitSegmenter:
    """Person/background matte of an RGB image, ``(H, W)`` float32 in [0, 1] (1 = person)."""

    def __init__(self) -> None:
        # mediapipe takes about a second to import: only jobs that segment pay for it.
        from mediapipe.python.solutions.selfie_segmentation import SelfieSegmentation

        # Its graph opens on threads of its own; its notices are all out by the end of the
        # first frame, so that frame (a blank one; the graph keeps no state) runs here.
        with quiet_mediapipe():
            self._solution = SelfieSegmentation(model_selection=GENERAL_MODEL)
            self._solution.process(np.zeros(WARM_UP_SHAPE, np.uint8))
        # The MediaPipe graph processes one frame at a time.
        self._lock = threading.Lock()

    def matte(self, image: np.ndarray) -> np.ndarray:
        """``image``: ``(H, W, 3)`` RGB, uint8 or float in [0, 1]. Returns ``(H, W)`` float32."""
        frame = rgb_uint8(image)
        with self._lock:
            mask = self._solution.process(frame).segmentation_mask
        return np.clip(mask, 0, 1).astype(np.float32)

    def close(self) -> None:
        """Free the MediaPipe graph."""
        with self._lock:
            self._solution.close()
