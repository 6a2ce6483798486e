"""Image files written byte by byte for the reader's tests: PNGs of any depth with optional
ICC profile and EXIF chunks, and a small CMYK ICC profile (no imaging library involved)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

PNG_COLOUR_TYPES = {1: 0, 2: 4, 3: 2, 4: 6}
D50 = (0.9642, 1.0, 0.8249)
# sRGB primaries adapted to D50 (columns: R, G, B), as ICC sRGB profiles hold them.
SRGB_D50 = np.array([[0.4360747, 0.3850649, 0.1430804], [0.2225045, 0.7168786, 0.0606169],
                     [0.0139322, 0.0971045, 0.7141733]])


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _packed_rows(pixels: np.ndarray, bits: int) -> list[bytes]:
    if bits == 16:
        return [row.astype(">u2").tobytes() for row in pixels]
    if bits == 8:
        return [row.astype(np.uint8).tobytes() for row in pixels]
    shifts = np.arange(bits - 1, -1, -1)
    return [np.packbits(((row.reshape(-1)[:, None] >> shifts) & 1).reshape(-1)).tobytes()
            for row in pixels.astype(np.uint8)]


def png_bytes(pixels: np.ndarray, bits: int = 16, icc: bytes | None = None,
              exif: bytes | None = None) -> bytes:
    """A PNG of ``(H, W[, C])`` samples, C in 1-4 (gray, gray+alpha, RGB, RGBA), at ``bits``
    1, 2, 4 (gray only), 8 or 16 per sample."""
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    height, width, channels = pixels.shape
    header = struct.pack(">IIBBBBB", width, height, bits, PNG_COLOUR_TYPES[channels], 0, 0, 0)
    chunks = _chunk(b"IHDR", header)
    if icc is not None:
        chunks += _chunk(b"iCCP", b"test\0\0" + zlib.compress(icc))
    if exif is not None:
        chunks += _chunk(b"eXIf", exif)
    rows = b"".join(b"\0" + row for row in _packed_rows(pixels, bits))
    return (b"\x89PNG\r\n\x1a\n" + chunks + _chunk(b"IDAT", zlib.compress(rows))
            + _chunk(b"IEND", b""))


def write_blank_1bit_png(path: Path, width: int, height: int) -> None:
    """A large white 1-bit PNG, compressed row by row (small on disk, like a scan)."""
    compressor = zlib.compressobj(1)
    row = b"\0" + b"\xff" * ((width + 7) // 8)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat)
                     + _chunk(b"IEND", b""))


def exif_with_orientation(orientation: int) -> bytes:
    """EXIF bytes holding only an Orientation tag."""
    exif = Image.Exif()
    exif[274] = orientation
    return exif.tobytes()


def s15fixed16(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def xyz_tag(value: tuple[float, float, float]) -> bytes:
    """An ICC XYZType tag body."""
    return b"XYZ \0\0\0\0" + b"".join(s15fixed16(c) for c in value)


def icc_profile(device: bytes, profile_class: bytes, tags: list[tuple[bytes, bytes]]) -> bytes:
    """A version-2 ICC profile of ``device`` colour space (b"RGB ", b"CMYK") and class
    (b"mntr", b"prtr") with PCS XYZ, D50 white and ``tags`` besides desc and wtpt."""
    name = b"portrait-stylize test profile"
    desc = (b"desc\0\0\0\0" + struct.pack(">I", len(name) + 1) + name + b"\0"
            + struct.pack(">IIHB", 0, 0, 0, 0) + bytes(67))
    desc += bytes(-len(desc) % 4)
    tags = [(b"desc", desc), (b"wtpt", xyz_tag(D50)), *tags]
    offset = 128 + 4 + 12 * len(tags)
    table, data = struct.pack(">I", len(tags)), b""
    for sig, body in tags:
        body += bytes(-len(body) % 4)
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    header = (struct.pack(">I", offset + len(data)) + bytes(4) + struct.pack(">I", 0x02100000)
              + profile_class + device + b"XYZ " + bytes(12) + b"acsp" + bytes(28)
              + b"".join(s15fixed16(c) for c in D50) + bytes(48))
    return header + table + data


def cmyk_profile(darkening: float = 0.7) -> bytes:
    """A version-2 CMYK printer profile whose A2B0 table takes ink to XYZ as
    ``darkening * (1 - C)(1 - K)`` etc. in linear sRGB: darker than Pillow's profile-less
    conversion, so a reader that ignores the profile is caught."""
    corners = []
    for c, m, y, k in np.ndindex(2, 2, 2, 2):
        linear = darkening * (1 - k) * np.array([1 - c, 1 - m, 1 - y], float)
        xyz = SRGB_D50 @ linear
        corners.append(np.clip(np.round(xyz * 32768), 0, 65535).astype(">u2"))
    identity = b"".join(s15fixed16(v) for v in (1, 0, 0, 0, 1, 0, 0, 0, 1))
    ramp = np.array([0, 65535], ">u2").tobytes()
    lut = (b"mft2\0\0\0\0" + bytes([4, 3, 2, 0]) + identity + struct.pack(">HH", 2, 2)
           + ramp * 4 + b"".join(c.tobytes() for c in corners) + ramp * 3)
    return icc_profile(b"CMYK", b"prtr", [(b"A2B0", lut)])
