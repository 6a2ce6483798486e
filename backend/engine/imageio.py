"""Reading and writing image files: 8-bit and 16-bit PNG and TIFF, ICC profiles, alpha."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tifffile
from PIL import Image, UnidentifiedImageError

from backend.engine.events import Result
from backend.engine.images import ImageInputError, srgb_profile_bytes

TIFF_SUFFIXES = {".tif", ".tiff"}


def read_image(path: str | Path) -> Image.Image | np.ndarray:
    """A PIL image (8-bit files, ICC profile kept for conversion) or a uint16 ``(H, W, C)``
    array (16-bit PNG or TIFF). Raises :class:`ImageInputError` for unreadable files."""
    path = Path(path)
    if not path.is_file():
        raise ImageInputError(f"{path}: no such file")
    if path.suffix.lower() in TIFF_SUFFIXES:
        try:
            array = tifffile.imread(path)
        except (OSError, ValueError, tifffile.TiffFileError) as err:
            raise ImageInputError(f"{path}: not a readable TIFF ({err})") from err
        return array if array.dtype == np.uint16 else Image.fromarray(array)
    try:
        image = Image.open(path)
        image.load()
    except (UnidentifiedImageError, OSError) as err:
        raise ImageInputError(f"{path}: not a readable image ({err})") from err
    if image.format == "PNG" and _png_bit_depth(path) == 16 or image.mode.startswith("I;16"):
        return _read_png16(path)
    return image


def _png_bit_depth(path: Path) -> int:
    """Bits per sample from the PNG header (Pillow reads 16-bit colour as 8-bit and does not
    say so)."""
    with open(path, "rb") as stream:
        header = stream.read(25)
    return header[24] if header[12:16] == b"IHDR" else 8


def _read_png16(path: Path) -> np.ndarray:
    import cv2  # installed with mediapipe; Pillow reads 16-bit colour PNGs as 8-bit

    array = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if array is None:
        raise ImageInputError(f"{path}: not a readable 16-bit PNG")
    if array.ndim == 3:
        order = [2, 1, 0, 3][: array.shape[2]]
        array = array[..., order]
    return array


def write_image(path: str | Path, result: Result, bits: int | None = None) -> Path:
    """Write a result as PNG/TIFF (8 or 16 bits; default 16 for TIFF, 8 otherwise) or any
    8-bit format Pillow knows, with an sRGB profile."""
    path = Path(path)
    suffix = path.suffix.lower()
    bits = bits or (16 if suffix in TIFF_SUFFIXES else 8)
    if bits == 16 and suffix not in TIFF_SUFFIXES | {".png"}:
        raise ImageInputError(f"{path}: 16-bit output needs a .png, .tif or .tiff file name")
    if suffix in TIFF_SUFFIXES:
        array = result.to_array(bits)
        tifffile.imwrite(path, array, photometric="rgb",
                         extratags=[(34675, "B", None, srgb_profile_bytes(), False)])
    elif bits == 16:
        import cv2

        array = result.to_array(16)
        order = [2, 1, 0, 3][: array.shape[2]]
        if not cv2.imwrite(str(path), np.ascontiguousarray(array[..., order])):
            raise ImageInputError(f"{path}: could not write the PNG")
    else:
        image = result.to_pil()
        if suffix in (".jpg", ".jpeg"):
            image = image.convert("RGB")
        try:
            image.save(path, icc_profile=srgb_profile_bytes(),
                       **({"quality": 95} if suffix in (".jpg", ".jpeg", ".webp") else {}))
        except (OSError, ValueError, KeyError) as err:
            raise ImageInputError(f"{path}: cannot write this format ({err})") from err
    return path
