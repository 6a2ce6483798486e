"""Protocol pixel samples without numpy: byte order and alpha, for every editor plug-in.

The protocol carries interleaved ``u8``, ``u16`` or ``f32`` samples, little-endian, alpha last.
These helpers are what GIMP's and Krita's plug-ins both need once pixels are out of the editor.
Pure Python (``array``).
"""

from __future__ import annotations

import sys
from array import array

_ARRAY_CODE = {"u8": "B", "u16": "H", "f32": "f"}


def result_channels(content_channels: int, background: str) -> int:
    """Channels of the result layer: the content's, plus alpha when the content has none and
    background ``alpha`` turns the person matte into alpha."""
    if content_channels in (1, 3) and background == "alpha":
        return content_channels + 1
    return content_channels


def keeps_content_alpha(content_channels: int, background: str) -> bool:
    """Whether the result takes the content's alpha exactly (otherwise the engine's matte)."""
    return content_channels in (2, 4) and background != "alpha"


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
