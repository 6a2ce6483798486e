"""Pixels between Krita and the protocol, without numpy.

Krita hands out a layer's pixels in its colour space's own layout: 8- and 16-bit integer RGBA
as ``B, G, R, A``, half and float RGBA as ``R, G, B, A``, in this machine's byte order. The
plug-in has Krita convert the pixels to sRGB-encoded RGBA at a depth the protocol carries
(``U8`` → ``u8``, ``U16`` → ``u16``, ``F16`` and ``F32`` → ``f32``) and back again; this module
reorders the channels and applies a selection to the alpha. Pure Python (``array``).
"""

from __future__ import annotations

from array import array

from shared.pixels import swap_to_protocol

SRGB_PROFILE = "sRGB-elle-V2-srgbtrc.icc"
TRANSFER_DEPTH = {"U8": "U8", "U16": "U16", "F16": "F32", "F32": "F32"}
DTYPE_OF_DEPTH = {"U8": "u8", "U16": "u16", "F32": "f32"}
DEPTH_OF_DTYPE = {dtype: depth for depth, dtype in DTYPE_OF_DEPTH.items()}
_ARRAY_CODE = {"u8": "B", "u16": "H", "f32": "f"}
_OPAQUE = {"u8": 255, "u16": 65535, "f32": 1.0}


class DepthError(ValueError):
    """A colour depth the plug-in cannot carry; the message says what to do."""


def transfer_depth(depth: str) -> str:
    """The Krita depth whose samples travel without loss (half floats travel as floats)."""
    if depth not in TRANSFER_DEPTH:
        raise DepthError(f"Portrait Stylization works on 8- and 16-bit integer and 16- and "
                         f"32-bit float images, not {depth}: convert it with Image ▸ Convert "
                         "Image Color Space.")
    return TRANSFER_DEPTH[depth]


def _samples(data: bytes, dtype: str) -> array:
    samples = array(_ARRAY_CODE[dtype])
    samples.frombytes(data)
    return samples


def _swap_red_blue(data: bytes, dtype: str) -> bytes:
    samples = _samples(data, dtype)
    red = samples[2::4]
    samples[2::4] = samples[0::4]
    samples[0::4] = red
    return samples.tobytes()


def krita_to_protocol(data: bytes, dtype: str) -> bytes:
    """RGBA pixels as Krita stores them at the transfer depth of ``dtype`` → protocol order
    (R, G, B, A, little-endian)."""
    ordered = _swap_red_blue(data, dtype) if dtype in ("u8", "u16") else data
    return swap_to_protocol(ordered, dtype)


def protocol_to_krita(data: bytes, dtype: str) -> bytes:
    """The inverse of :func:`krita_to_protocol`."""
    native = swap_to_protocol(data, dtype)
    return _swap_red_blue(native, dtype) if dtype in ("u8", "u16") else native


def with_alpha(data: bytes, channels: int, dtype: str) -> bytes:
    """Protocol pixels of 3 (RGB) or 4 (RGBA) channels as RGBA (opaque where alpha was
    missing), the layout every Krita paint layer has."""
    if channels == 4:
        return data
    if channels != 3:
        raise ValueError(f"expected RGB or RGBA pixels, got {channels} channels")
    rgb = _samples(swap_to_protocol(data, dtype), dtype)
    rgba = array(_ARRAY_CODE[dtype], [_OPAQUE[dtype]]) * (len(rgb) // 3 * 4)
    for channel in range(3):
        rgba[channel::4] = rgb[channel::3]
    return swap_to_protocol(rgba.tobytes(), dtype)


def mask_alpha(data: bytes, mask: bytes, dtype: str) -> bytes:
    """Protocol RGBA pixels with their alpha scaled by an 8-bit selection ``mask`` (one byte
    per pixel, 255 = selected): outside the selection the result is transparent."""
    if len(mask) * 4 * array(_ARRAY_CODE[dtype]).itemsize != len(data):
        raise ValueError(f"a mask of {len(mask)} pixels for {len(data)} bytes of {dtype} RGBA")
    if mask.count(255) == len(mask):
        return data
    samples = _samples(swap_to_protocol(data, dtype), dtype)
    alpha = samples[3::4]
    if dtype == "f32":
        scaled = [a * m / 255.0 for a, m in zip(alpha, mask, strict=True)]
    else:
        scaled = [(a * m + 127) // 255 for a, m in zip(alpha, mask, strict=True)]
    samples[3::4] = array(_ARRAY_CODE[dtype], scaled)
    return swap_to_protocol(samples.tobytes(), dtype)
