"""Pixel formats between GIMP and the protocol, without numpy.

GIMP stores pixels at the image's precision (8/16/32-bit integer, half, float, double; linear or
perceptual); the protocol carries ``u8``, ``u16`` or ``f32`` sRGB-encoded samples. Each GIMP
precision maps to the protocol type that holds it without loss (32-bit integer, half and double
travel as ``f32``), and pixels are read in the perceptual ("R'G'B'") babl format of that type, so
GIMP converts linear images on the way. Byte order and alpha are :mod:`shared.pixels`. Pure
Python.
"""

from __future__ import annotations

_DTYPE_OF_COMPONENT = {"U8": "u8", "U16": "u16", "U32": "f32", "HALF": "f32", "FLOAT": "f32",
                       "DOUBLE": "f32"}
_BABL_TYPE = {"u8": "u8", "u16": "u16", "f32": "float"}
_BABL_MODEL = {1: "Y'", 2: "Y'A", 3: "R'G'B'", 4: "R'G'B'A"}


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


def babl_format(channels: int, dtype: str) -> str:
    """The babl format name for interleaved sRGB-encoded samples, e.g. ``R'G'B'A u16``."""
    return f"{_BABL_MODEL[channels]} {_BABL_TYPE[dtype]}"
