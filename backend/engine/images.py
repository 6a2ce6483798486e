"""Images in: PIL images or arrays of any common depth, converted to sRGB, alpha kept aside.

8-bit RGB sources are resized exactly as the reference does (PIL Lanczos on the 8-bit image);
16-bit and float sources are resized per channel in float, so no precision is lost.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageCms

from backend.engine.events import EngineError

MAX_SIDE = 65536


class ImageInputError(EngineError):
    """An input image cannot be used (empty, wrong shape or type, unreadable profile)."""


SRGB_PROFILE = ImageCms.createProfile("sRGB")


def srgb_profile_bytes() -> bytes:
    """An sRGB ICC profile to embed in written files."""
    return ImageCms.ImageCmsProfile(SRGB_PROFILE).tobytes()


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert an image that carries an ICC profile to sRGB (RGB or RGBA)."""
    icc = image.info.get("icc_profile")
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info)
    target = "RGBA" if has_alpha else "RGB"
    if not icc:
        return image.convert(target)
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if image.mode not in ("RGB", "RGBA", "L", "CMYK", "LAB"):
            image = image.convert(target)
        alpha = image.getchannel("A") if "A" in image.getbands() else None
        base = image.convert("RGB") if image.mode == "RGBA" else image
        converted = ImageCms.profileToProfile(base, source, SRGB_PROFILE, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError) as err:
        raise ImageInputError(f"cannot convert the image's colour profile to sRGB: {err}") from err
    if alpha is not None:
        converted.putalpha(alpha)
    return converted


def _array_to_float(array: np.ndarray) -> np.ndarray:
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255
    if array.dtype == np.uint16:
        return array.astype(np.float32) / 65535
    if np.issubdtype(array.dtype, np.floating):
        values = array.astype(np.float32)
        if not np.isfinite(values).all():
            raise ImageInputError("the image contains NaN or infinite values")
        return np.clip(values, 0, 1)
    raise ImageInputError(f"unsupported pixel type {array.dtype}; use uint8, uint16 or float")


@dataclass
class SourceImage:
    """An input image ready for the engine.

    Exactly one of ``rgb8`` (an 8-bit PIL RGB image) and ``rgb_float`` (``(H, W, 3)`` float32 in
    [0, 1]) is set. ``alpha`` is ``(H, W)`` float32 in [0, 1] or None.
    """

    rgb8: Image.Image | None
    rgb_float: np.ndarray | None
    alpha: np.ndarray | None

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)``."""
        if self.rgb8 is not None:
            return self.rgb8.size
        h, w = self.rgb_float.shape[:2]
        return w, h

    def tensor(self, size: tuple[int, int] | None = None) -> torch.Tensor:
        """``(1, 3, H, W)`` float32 in [0, 1], Lanczos-resized to ``size = (w, h)`` if given."""
        if self.rgb8 is not None:
            image = self.rgb8 if size is None else self.rgb8.resize(size, Image.LANCZOS)
            array = np.asarray(image, dtype=np.float32) / 255
        elif size is None:
            array = self.rgb_float
        else:
            array = np.stack([_resize_plane(self.rgb_float[..., c], size) for c in range(3)],
                             axis=-1)
        return torch.from_numpy(np.ascontiguousarray(array)).permute(2, 0, 1)[None]

    def alpha_at(self, size: tuple[int, int]) -> np.ndarray | None:
        """The alpha plane Lanczos-resized to ``(w, h)``, or None."""
        if self.alpha is None:
            return None
        return _resize_plane(self.alpha, size)


def _resize_plane(plane: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    resized = Image.fromarray(plane.astype(np.float32), "F").resize(size, Image.LANCZOS)
    return np.clip(np.asarray(resized, dtype=np.float32), 0, 1)


def _check_size(width: int, height: int) -> None:
    if width < 1 or height < 1:
        raise ImageInputError(f"the image is empty ({width}x{height})")
    if max(width, height) > MAX_SIDE:
        raise ImageInputError(f"the image is {width}x{height}; the longest side allowed is "
                              f"{MAX_SIDE}")


def prepare(image: Image.Image | np.ndarray) -> SourceImage:
    """Accept a PIL image (any mode; ICC profiles converted to sRGB) or an ``(H, W)`` /
    ``(H, W, C)`` array with C in 1–4 (gray, gray+alpha, RGB, RGBA) of uint8, uint16 or float in
    [0, 1]."""
    if isinstance(image, Image.Image):
        _check_size(*image.size)
        if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
            return prepare(np.asarray(image.convert("F"), dtype=np.float32)
                           / (255 if image.mode == "F" else 65535))
        image = _to_srgb(image)
        alpha = None
        if image.mode == "RGBA":
            alpha = np.asarray(image.getchannel("A"), dtype=np.float32) / 255
            image = image.convert("RGB")
        return SourceImage(rgb8=image, rgb_float=None, alpha=alpha)
    if not isinstance(image, np.ndarray):
        raise ImageInputError(f"expected a PIL image or a numpy array, not "
                              f"{type(image).__name__}")
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or not 1 <= image.shape[2] <= 4:
        raise ImageInputError(f"expected an (H, W) or (H, W, 1-4) array, got shape {image.shape}")
    _check_size(image.shape[1], image.shape[0])
    channels = image.shape[2]
    colour = image[..., :3] if channels >= 3 else np.repeat(image[..., :1], 3, axis=2)
    alpha_plane = image[..., channels - 1] if channels in (2, 4) else None
    alpha = None if alpha_plane is None else _array_to_float(alpha_plane)
    if colour.dtype == np.uint8:
        return SourceImage(rgb8=Image.fromarray(np.ascontiguousarray(colour), "RGB"),
                           rgb_float=None, alpha=alpha)
    return SourceImage(rgb8=None, rgb_float=_array_to_float(colour), alpha=alpha)
