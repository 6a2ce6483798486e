"""Pixel frames to arrays and back, on the server's side of :mod:`shared.framing`."""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from backend.engine.events import Result
from backend.engine.images import prepare
from shared.framing import ImageData

NUMPY_DTYPES = {"u8": np.dtype("<u1"), "u16": np.dtype("<u2"), "f32": np.dtype("<f4")}


class PixelError(ValueError):
    """Pixel values that no image can have (NaN or infinite floats)."""


def to_array(descriptor: dict[str, Any], frame: Any) -> np.ndarray:
    """A checked frame (see :func:`shared.framing.check_frame`) as an ``(H, W, C)`` array of its
    own type, copied so the message buffer can go. Float pixels must be finite."""
    array = np.frombuffer(frame, dtype=NUMPY_DTYPES[descriptor["dtype"]]).reshape(
        descriptor["height"], descriptor["width"], descriptor["channels"])
    if descriptor["dtype"] == "f32" and not np.isfinite(array).all():
        raise PixelError("float pixels must be finite; this image has NaN or infinite values")
    return array.astype(array.dtype.newbyteorder("="), copy=True)


def result_image(result: Result, dtype: str) -> ImageData:
    """A result's pixels as ``dtype`` (u8 and u16 rounded, f32 in [0, 1])."""
    if dtype == "f32":
        return array_to_image_data(np.clip(result.pixels, 0, 1).astype(np.float32))
    return array_to_image_data(result.to_array(8 if dtype == "u8" else 16))


def preview_image(preview: Image.Image) -> ImageData:
    """An 8-bit RGB PIL preview as u8 RGB."""
    return array_to_image_data(np.asarray(preview.convert("RGB"), dtype=np.uint8))


def image_data_to_array(image: ImageData) -> np.ndarray:
    """An :class:`ImageData` as an ``(H, W, C)`` array (for tools and tests on this side)."""
    return to_array(image.descriptor(), image.data)


def array_to_image_data(array: np.ndarray) -> ImageData:
    """An ``(H, W[, C])`` uint8, uint16 or float32 array as :class:`ImageData`."""
    if array.ndim == 2:
        array = array[..., None]
    names = {np.dtype(np.uint8): "u8", np.dtype(np.uint16): "u16", np.dtype(np.float32): "f32"}
    if array.dtype not in names:
        raise ValueError(f"use uint8, uint16 or float32 pixels, not {array.dtype}")
    dtype = names[array.dtype]
    data = np.ascontiguousarray(array, dtype=NUMPY_DTYPES[dtype]).tobytes()
    return ImageData(array.shape[1], array.shape[0], array.shape[2], dtype, data)


def image_data_from_source(image: Image.Image | np.ndarray) -> ImageData:
    """A PIL image (converted to sRGB, alpha kept) or a uint8/uint16/float32 ``(H, W[, C])``
    array, as sent to a server."""
    if isinstance(image, np.ndarray):
        return array_to_image_data(image)
    source = prepare(image)
    if source.rgb8 is None:
        pixels = source.rgb_float
        if source.alpha is not None:
            pixels = np.dstack([pixels, source.alpha])
        return array_to_image_data(pixels.astype(np.float32))
    pixels = np.asarray(source.rgb8, dtype=np.uint8)
    if source.alpha is not None:
        pixels = np.dstack([pixels, np.round(source.alpha * 255).astype(np.uint8)])
    return array_to_image_data(pixels)


def image_data_to_float(image: ImageData) -> np.ndarray:
    """``(H, W, C)`` float32 in [0, 1]."""
    array = image_data_to_array(image)
    if image.dtype == "f32":
        return np.clip(array, 0, 1)
    return array.astype(np.float32) / (255 if image.dtype == "u8" else 65535)
