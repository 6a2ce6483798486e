"""Face boxes from MTCNN (facenet-pytorch; its weights ship inside the wheel, no network)."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import torch
from facenet_pytorch import MTCNN

# P-Net's window: MTCNN cannot look for faces smaller than this without upsampling the image.
SMALLEST_DETECTABLE = 12
CACHE_ENTRIES = 32


@dataclass(frozen=True)
class Detections:
    """Faces found in one image: ``boxes`` ``(K, 4)`` float64 ``x0, y0, x1, y1`` in that image's
    pixels, sorted left to right; ``probabilities`` ``(K,)`` in [0, 1]."""

    boxes: np.ndarray
    probabilities: np.ndarray

    def __len__(self) -> int:
        return len(self.boxes)


class FaceDetector:
    """MTCNN on a chosen device, returning every face it finds (no threshold applied here).

    Results are cached per image content and minimum size, so stylizing the same picture again
    does not detect again.
    """

    def __init__(self, device: str | torch.device = "cpu") -> None:
        # facenet-pytorch loads its bundled P/R/O-Net state dicts with torch.load, whose default
        # under torch >= 2.6 is weights_only=True: no pickle code runs.
        self._mtcnn = MTCNN(keep_all=True, device=torch.device(device))
        self._cache: OrderedDict[tuple, Detections] = OrderedDict()
        self._lock = threading.Lock()

    def detect(self, image: np.ndarray | torch.Tensor, min_size: int = 20) -> Detections:
        """Faces in ``image``: ``(H, W, 3)`` uint8 RGB, or a ``(1, 3, H, W)`` / ``(3, H, W)``
        tensor in [0, 1]. ``min_size``: the smallest face side MTCNN looks for, in pixels."""
        pixels = _as_uint8(image)
        smallest = max(int(min_size), SMALLEST_DETECTABLE)
        key = (hashlib.sha1(pixels.tobytes()).hexdigest(), pixels.shape, smallest)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            if min(pixels.shape[:2]) < smallest:
                # No face this small can be in the image; MTCNN's pyramid would be empty.
                found = _sorted_detections(None, None)
            else:
                # MTCNN reads its minimum face size at each call.
                self._mtcnn.min_face_size = smallest
                with torch.no_grad():
                    boxes, probabilities = self._mtcnn.detect(pixels)
                found = _sorted_detections(boxes, probabilities)
            self._cache[key] = found
            if len(self._cache) > CACHE_ENTRIES:
                self._cache.popitem(last=False)
            return found


def _as_uint8(image: np.ndarray | torch.Tensor) -> np.ndarray:
    if isinstance(image, torch.Tensor):
        if image.dim() == 4:
            if image.shape[0] != 1:
                raise ValueError(f"expected one image, got a batch of {image.shape[0]}")
            image = image[0]
        if image.dim() != 3 or image.shape[0] != 3:
            raise ValueError(f"expected a (3, H, W) RGB tensor, got {tuple(image.shape)}")
        image = image.detach().clamp(0, 1).mul(255).round().byte().permute(1, 2, 0).cpu().numpy()
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) uint8 RGB array, got {image.dtype} "
                         f"{image.shape}")
    return np.ascontiguousarray(image)


def _sorted_detections(boxes: np.ndarray | None, probabilities: np.ndarray | None) -> Detections:
    if boxes is None:
        return Detections(np.zeros((0, 4)), np.zeros((0,)))
    # facenet-pytorch hands back object arrays.
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    probabilities = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    order = np.lexsort((boxes[:, 1], boxes[:, 0]))
    return Detections(boxes[order], probabilities[order])
