"""The frames MediaPipe's legacy solutions take: contiguous ``(H, W, 3)`` RGB uint8."""

from __future__ import annotations

import numpy as np


def rgb_uint8(image: np.ndarray) -> np.ndarray:
    """``image``: ``(H, W, 3)`` RGB, uint8 or float in [0, 1] (clipped, rounded to 0–255).
    Returns a C-contiguous uint8 copy or view. ValueError for another shape."""
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) RGB image, got shape {image.shape}")
    if image.dtype != np.uint8:
        image = np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)
    return np.ascontiguousarray(image)
