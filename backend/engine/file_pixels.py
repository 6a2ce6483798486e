"""Pixel arrays as image files store them, turned into what :func:`~backend.engine.images.prepare`
takes: samples scaled to their type's range, orientation applied, premultiplied alpha undone,
CMYK and ICC-tagged colour converted to sRGB."""

from __future__ import annotations

import warnings

import imagecodecs
import numpy as np

from backend.engine.images import ImageInputError

SRGB_ICC = imagecodecs.cms_profile("srgb")
MAX_FILE_PIXELS = 16384 * 16384
"""The most pixels an image file may have (a 16384 x 16384 square, 268 megapixels: a 100 MP
camera file fits; it takes up to 3.2 GB as float RGB). Pillow's own decompression-bomb limit
(89 megapixels) does not apply to files read here."""


class ImageNote(UserWarning):
    """Something about an input or output file the user should hear once (first frame of an
    animation, a channel dropped, precision the output cannot keep); the CLI shows it as one
    line."""


def note(message: str) -> None:
    """Tell the user ``message`` once, as an :class:`ImageNote` warning."""
    warnings.warn(ImageNote(message), stacklevel=3)


def check_pixel_count(name: str, width: int, height: int) -> None:
    """Raise :class:`ImageInputError` when a ``width`` x ``height`` image has more than
    :data:`MAX_FILE_PIXELS` pixels."""
    if width * height > MAX_FILE_PIXELS:
        raise ImageInputError(
            f"{name}: the image is {width}x{height} = {width * height:,} pixels; the limit is "
            f"{MAX_FILE_PIXELS:,} (16384x16384): scale it down first")


def unit_samples(samples: np.ndarray, bits: int, name: str) -> np.ndarray:
    """Samples of any type a file can hold, as uint8 or uint16 (kept exact) or float32 in [0, 1].

    ``bits`` is the file's bits per sample (a 12-bit TIFF stores uint16 values up to 4095).
    Signed integers map their whole range (minimum black, maximum white); floats are clipped.
    Raises :class:`ImageInputError` for complex samples and NaN or infinite floats."""
    kind = samples.dtype.kind
    if kind == "b":
        return samples.astype(np.uint8) * np.uint8(255)
    if kind == "u" and bits in (8, 16) and samples.dtype.itemsize * 8 == bits:
        return samples
    if kind == "u":
        if bits < 8:
            return np.round(samples.astype(np.float32) * (255 / (2**bits - 1))).astype(np.uint8)
        return (samples.astype(np.float64) / (2**bits - 1)).astype(np.float32)
    if kind == "i":
        info = np.iinfo(samples.dtype)
        note(f"{name}: signed {info.bits}-bit samples, read with {info.min} as black and "
             f"{info.max} as white")
        return ((samples.astype(np.float64) - info.min) / (info.max - info.min)).astype(np.float32)
    if kind == "f":
        values = samples.astype(np.float32)
        if not np.isfinite(values).all():
            raise ImageInputError(f"{name}: the image contains NaN or infinite values; "
                                  f"export it with finite pixel values")
        if values.min() < 0 or values.max() > 1:
            note(f"{name}: floating-point samples outside 0-1 (range {values.min():.3g} to "
                 f"{values.max():.3g}) are clipped")
        return np.clip(values, 0, 1)
    raise ImageInputError(f"{name}: {samples.dtype} samples are not an image; save it with "
                          f"integer or floating-point samples")


def full_scale(samples: np.ndarray) -> float:
    """The value of white for samples from :func:`unit_samples`."""
    return {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}.get(samples.dtype, 1.0)


def oriented(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """``(H, W, C)`` pixels stored with EXIF/TIFF ``orientation`` 1-8, turned upright exactly as
    ``PIL.ImageOps.exif_transpose`` turns an image."""
    turns = {2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1], 4: lambda a: a[::-1],
             5: lambda a: a.transpose(1, 0, 2), 6: lambda a: np.rot90(a, -1),
             7: lambda a: a[::-1, ::-1].transpose(1, 0, 2), 8: lambda a: np.rot90(a, 1)}
    turn = turns.get(orientation)
    return pixels if turn is None else np.ascontiguousarray(turn(pixels))


def unpremultiplied(colour: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Colour stored multiplied by alpha (TIFF "associated alpha"), divided back; float32."""
    scale = full_scale(alpha)
    a = alpha.astype(np.float32)[..., None] / scale
    c = colour.astype(np.float32) / full_scale(colour)
    return np.clip(np.divide(c, a, out=np.zeros_like(c), where=a > 0), 0, 1)


def cmyk_to_rgb(cmyk: np.ndarray) -> np.ndarray:
    """``(H, W, 4)`` ink amounts as RGB by Pillow's formula ``(1 - C)(1 - K)``, without a
    profile; float32 in [0, 1]."""
    ink = cmyk.astype(np.float32) / full_scale(cmyk)
    return (1 - ink[..., :3]) * (1 - ink[..., 3:4])


def profile_to_srgb(colour: np.ndarray, icc: bytes, colorspace: str, name: str) -> np.ndarray:
    """``(H, W, 3 or 4)`` RGB or CMYK samples (uint8, uint16 or float32) converted through their
    ICC profile to sRGB at their own depth (LittleCMS, perceptual intent); floats clipped to
    [0, 1]. Raises :class:`ImageInputError` for a profile that cannot be used."""
    try:
        srgb = imagecodecs.cms_transform(np.ascontiguousarray(colour), icc, SRGB_ICC,
                                         colorspace=colorspace, outcolorspace="rgb")
    except (imagecodecs.CmsError, ValueError) as err:
        raise ImageInputError(f"{name}: cannot convert the image's colour profile to sRGB "
                              f"({err}); export it in sRGB") from err
    return np.clip(srgb, 0, 1) if srgb.dtype.kind == "f" else srgb
