"""Pixel formats between GIMP and the protocol, and alpha handling, without numpy.

GIMP stores pixels at the image's precision (8/16/32-bit integer, half, float, double; linear or
perceptual); the protocol carries ``u8``, ``u16`` or ``f32`` sRGB-encoded samples. Each GIMP
precision maps to the protocol type that holds it without loss (32-bit integer, half and double
travel as ``f32``), and pixels are read in the perceptual ("R'G'B'") babl format of that type, so
GIMP converts linear images on the way. Pure Python.
"""

from __future__ import annotations

import sys
from array import array

_DTYPE_OF_COMPONENT = {"U8": "u8", "U16": "u16", "U32": "f32", "HALF": "f32", "FLOAT": "f32",
                       "DOUBLE": "f32"}
_BABL_TYPE = {"u8": "u8", "u16": "u16", "f32": "float"}
_BABL_MODEL = {1: "Y'", 2: "Y'A", 3: "R'G'B'", 4: "R'G'B'A"}
_ARRAY_CODE = {"u8": "B", "u16": "H", "f32": "f"}


def transfer_dtype(precision: str) -> str:
    """Protocol sample type for a ``Gimp.Precision`` nick such as ``u16-non-linear`` (or a
    value name such as ``U16_NON_LINEAR``)."""
    component = precision.replace("-", "_").split("_", 1)[0].upper()
    if component not in _DTYPE_OF_COMPONENT:
        raise ValueError(f"unknown GIMP precision {precision!r}")
    return _DTYPE_OF_COMPONENT[component]


def precision_name(dtype: str) -> str:
    """The ``Gimp.Precision`` value name that holds ``dtype`` samples, perceptual."""
    return {"u8": "U8_NON_LINEAR", "u16": "U16_NON_LINEAR", "f32": "FLOAT_NON_LINEAR"}[dtype]


def channel_count(grayscale: bool, has_alpha: bool) -> int:
    """1 gray, 2 gray + alpha, 3 RGB, 4 RGBA."""
    return (1 if grayscale else 3) + (1 if has_alpha else 0)


def result_channels(content_channels: int, background: str) -> int:
    """Channels of the result layer: the content's, plus alpha when the content has none and
    background ``alpha`` turns the person matte into alpha."""
    if content_channels in (1, 3) and background == "alpha":
        return content_channels + 1
    return content_channels


def keeps_content_alpha(content_channels: int, background: str) -> bool:
    """Whether the result takes the content's alpha exactly (otherwise the engine's matte)."""
    return content_channels in (2, 4) and background != "alpha"


def babl_format(channels: int, dtype: str) -> str:
    """The babl format name for interleaved sRGB-encoded samples, e.g. ``R'G'B'A u16``."""
    return f"{_BABL_MODEL[channels]} {_BABL_TYPE[dtype]}"


def _samples(data: bytes, dtype: str) -> array:
    samples = array(_ARRAY_CODE[dtype])
    samples.frombytes(data)
    return samples


def swap_to_protocol(data: bytes, dtype: str) -> bytes:
    """Samples in this machine's byte order ↔ the protocol's little-endian order (the same
    conversion both ways; nothing to do on little-endian machines)."""
    if sys.byteorder == "little" or dtype == "u8":
        return data
    samples = _samples(data, dtype)
    samples.byteswap()
    return samples.tobytes()


def replace_alpha(pixels: bytes, alpha_source: bytes, channels: int, dtype: str) -> bytes:
    """``pixels`` with its alpha samples taken from ``alpha_source``.

    Both hold the same number of pixels of ``channels`` interleaved ``dtype`` samples in one
    byte order, alpha last (``channels`` is 2 or 4)."""
    if channels not in (2, 4):
        raise ValueError(f"{channels}-channel pixels have no alpha")
    if len(pixels) != len(alpha_source):
        raise ValueError(f"pixel buffers differ in size: {len(pixels)} and {len(alpha_source)}")
    target, source = _samples(pixels, dtype), _samples(alpha_source, dtype)
    target[channels - 1::channels] = source[channels - 1::channels]
    return target.tobytes()
