"""The image reader on TIFF files, as a table (see test_read_image.py): every sample format,
chunky and planar samples, strips and tiles, the common compressions, gray, palette, RGB, YCbCr
and CMYK, alpha of both kinds, orientation, pages, and broken files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

from backend.engine.imageio import MAX_FILE_PIXELS
from backend.engine.images import ImageInputError
from tests.engine.test_read_image import (
    ALPHA8,
    ALPHA16,
    CMYK8,
    CMYK_ICC,
    RGB8,
    RGB16,
    Row,
    check_row,
    cmyk_through,
    cut,
    gray3,
    saved,
    u8,
    u16,
    upright,
    written,
)

UNIT = RGB16 / 65535.0


def tiff(data: np.ndarray, **params) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        tifffile.imwrite(folder / "a.tif", data, **params)
        return folder / "a.tif"
    return make


def with_compression_code(code: int) -> Callable[[Path], Path]:
    """An uncompressed TIFF whose Compression tag then says ``code``."""
    def make(folder: Path) -> Path:
        path = tiff(RGB8, photometric="rgb")(folder)
        with tifffile.TiffFile(path) as parsed:
            offset = parsed.pages.first.tags[259].valueoffset
        data = bytearray(path.read_bytes())
        data[offset:offset + 2] = code.to_bytes(2, "little")
        path.write_bytes(bytes(data))
        return path
    return make


def signed(dtype: type) -> np.ndarray:
    info = np.iinfo(dtype)
    return np.round(UNIT * (info.max - info.min) + info.min).astype(dtype)


def unsigned32() -> np.ndarray:
    return np.round(UNIT * (2**32 - 1)).astype(np.uint32)


PALETTE16 = np.stack([np.arange(256) * 250, 65535 - np.arange(256) * 200,
                      np.full(256, 12345)]).astype(np.uint16)
PREMULTIPLIED = np.round(RGB8 * (ALPHA8[..., None] / 255.0)).astype(np.uint8)
EXPECTED_UNPREMULTIPLIED = np.where(ALPHA8[..., None] > 0,
                                    np.clip(PREMULTIPLIED / np.maximum(ALPHA8[..., None], 1), 0, 1),
                                    0)

ROWS: dict[str, Row] = {
    "uint8 RGB": Row(tiff(RGB8, photometric="rgb"), rgb=u8(RGB8)),
    "uint16 RGB": Row(tiff(RGB16, photometric="rgb"), rgb=UNIT),
    "uint32 RGB": Row(tiff(unsigned32(), photometric="rgb"), rgb=UNIT, atol=1e-6),
    "int8 RGB": Row(tiff(signed(np.int8), photometric="rgb"), rgb=UNIT, atol=0.5 / 255,
                    note="signed 8-bit samples, read with -128 as black and 127 as white"),
    "int16 RGB": Row(tiff(signed(np.int16), photometric="rgb"), rgb=UNIT, atol=1e-4,
                     note="signed 16-bit samples"),
    "int32 RGB": Row(tiff(signed(np.int32), photometric="rgb"), rgb=UNIT,
                     note="signed 32-bit samples"),
    "float16 RGB": Row(tiff(UNIT.astype(np.float16), photometric="rgb"), rgb=UNIT, atol=5e-4),
    "float32 RGB": Row(tiff(UNIT.astype(np.float32), photometric="rgb"), rgb=UNIT),
    "float64 RGB": Row(tiff(UNIT, photometric="rgb"), rgb=UNIT),
    "float32 RGB past 1": Row(tiff((UNIT * 2).astype(np.float32), photometric="rgb"),
                              rgb=np.clip(UNIT * 2, 0, 1), note="outside 0-1 .* clipped"),
    "float32 RGB with NaN": Row(tiff(np.full((4, 4, 3), np.nan, np.float32), photometric="rgb"),
                                error="NaN or infinite values"),
    "uint16 RGB planar": Row(tiff(np.moveaxis(RGB16, 2, 0), photometric="rgb",
                                  planarconfig="separate"), rgb=UNIT),
    "float32 RGB planar": Row(tiff(np.moveaxis(UNIT, 2, 0).astype(np.float32), photometric="rgb",
                                   planarconfig="separate"), rgb=UNIT),
    "uint8 RGB tiled": Row(tiff(RGB8, photometric="rgb", tile=(16, 16)), rgb=u8(RGB8)),
    "uint16 RGB deflate, predictor": Row(tiff(RGB16, photometric="rgb", compression="zlib",
                                              predictor=True), rgb=UNIT),
    "uint16 RGB LZW": Row(tiff(RGB16, photometric="rgb", compression="lzw"), rgb=UNIT),
    "uint8 RGB packbits": Row(tiff(RGB8, photometric="rgb", compression="packbits"),
                              rgb=u8(RGB8)),
    "float32 RGB LZW with float predictor": Row(
        tiff(UNIT.astype(np.float32), photometric="rgb", compression="lzw",
             predictor="floatingpoint"), rgb=UNIT),
    "uint8 RGB JPEG": Row(tiff(np.full((16, 16, 3), (200, 90, 40), np.uint8), photometric="rgb",
                               compression="jpeg"),
                          rgb=np.full((16, 16, 3), (200, 90, 40)) / 255.0, atol=3 / 255),
    "pillow LZW RGB": Row(saved("a.tif", Image.fromarray(RGB8), compression="tiff_lzw"),
                          rgb=u8(RGB8)),
    "pillow group4 bilevel": Row(saved("a.tif", Image.fromarray(RGB8[..., 0] > 99),
                                       compression="group4"),
                                 rgb=gray3(RGB8[..., 0] > 99).astype(float)),
    "bilevel, 1 is black": Row(tiff(RGB8[..., 0] > 99),
                               rgb=gray3(RGB8[..., 0] <= 99).astype(float)),
    "uint8 gray": Row(tiff(RGB8[..., 0], photometric="minisblack"), rgb=gray3(u8(RGB8[..., 0]))),
    "uint16 gray white is zero": Row(tiff(RGB16[..., 0], photometric="miniswhite"),
                                     rgb=gray3(1 - u16(RGB16[..., 0]))),
    "uint16 gray+alpha": Row(tiff(np.dstack([RGB16[..., 0], ALPHA16]), photometric="minisblack",
                                  extrasamples=["unassalpha"]),
                             rgb=gray3(u16(RGB16[..., 0])), alpha=u16(ALPHA16)),
    "palette 8-bit": Row(tiff(RGB8[..., 0], photometric="palette",
                              colormap=np.stack([np.arange(256) * 257] * 3).astype(np.uint16)),
                         rgb=gray3(u8(RGB8[..., 0]))),
    "palette 16-bit colours": Row(tiff(RGB8[..., 0], photometric="palette", colormap=PALETTE16),
                                  rgb=u16(PALETTE16.T[RGB8[..., 0]])),
    "uint8 RGBA": Row(tiff(np.dstack([RGB8, ALPHA8]), photometric="rgb",
                           extrasamples=["unassalpha"]), rgb=u8(RGB8), alpha=u8(ALPHA8)),
    "uint16 RGBA": Row(tiff(np.dstack([RGB16, ALPHA16]), photometric="rgb",
                            extrasamples=["unassalpha"]), rgb=UNIT, alpha=u16(ALPHA16)),
    "uint8 RGBA premultiplied": Row(tiff(np.dstack([PREMULTIPLIED, ALPHA8]), photometric="rgb",
                                         extrasamples=["assocalpha"]),
                                    rgb=EXPECTED_UNPREMULTIPLIED, alpha=u8(ALPHA8)),
    "uint8 RGB with a mask channel": Row(tiff(np.dstack([RGB8, ALPHA8]), photometric="rgb",
                                              extrasamples=["unspecified"]),
                                         rgb=u8(RGB8), note="1 extra channel"),
    "uint8 YCbCr": Row(tiff(RGB8, photometric="ycbcr", subsampling=(1, 1)),
                       rgb=u8(np.asarray(Image.fromarray(RGB8, "YCbCr").convert("RGB")))),
    "uint8 CMYK": Row(tiff(CMYK8, photometric="separated"),
                      rgb=u8(np.asarray(Image.fromarray(CMYK8, "CMYK").convert("RGB")))),
    "uint8 CMYK with profile": Row(tiff(CMYK8, photometric="separated",
                                        extratags=[(34675, "B", None, CMYK_ICC, False)]),
                                   rgb=u8(cmyk_through(CMYK_ICC, CMYK8)), atol=1.01 / 255),
    "uint16 CMYK": Row(tiff(CMYK8.astype(np.uint16) * 257, photometric="separated"),
                       rgb=(1 - CMYK8[..., :3] / 255) * (1 - CMYK8[..., 3:] / 255)),
    "uint16 CMYK with profile": Row(tiff(CMYK8.astype(np.uint16) * 257, photometric="separated",
                                         extratags=[(34675, "B", None, CMYK_ICC, False)]),
                                    rgb=u8(cmyk_through(CMYK_ICC, CMYK8)), atol=1.01 / 255),
    "uint8 CMYK with alpha": Row(tiff(np.dstack([CMYK8, ALPHA8]), photometric="separated",
                                      extrasamples=["unassalpha"]),
                                 rgb=u8(np.asarray(Image.fromarray(CMYK8, "CMYK").convert("RGB"))),
                                 alpha=u8(ALPHA8)),
    "two pages": Row(tiff(np.stack([RGB8, RGB8[::-1]]), photometric="rgb"), rgb=u8(RGB8),
                     note="a TIFF with 2 pages; using the first"),
    "not a TIFF after its signature": Row(written("a.tif", b"II*\0garbage"),
                                          error="not a readable TIFF"),
    "compression without a decoder": Row(with_compression_code(65000),
                                         error=r"pixel data \(EER_V0\) could not be decoded"),
    "unknown compression": Row(with_compression_code(61234),
                               error="compression 61234 cannot be decoded here"),
    "cut in the pixels": Row(cut(tiff(np.zeros((64, 64, 3), np.uint16), photometric="rgb"), 0.5),
                             error=r"pixel data \(NONE\) could not be decoded .* damaged"),
    "cut in compressed pixels": Row(cut(tiff(RGB16, photometric="rgb", compression="zlib"), 0.6),
                                    error=r"pixel data \(ADOBE_DEFLATE\) could not be decoded"),
}
ROWS |= {f"orientation {n}": Row(tiff(RGB8, photometric="rgb",
                                      extratags=[(274, "H", 1, n, True)]),
                                 rgb=u8(upright(RGB8, n))) for n in range(1, 9)}
ROWS |= {f"uint16 orientation {n}": Row(tiff(RGB16, photometric="rgb",
                                             extratags=[(274, "H", 1, n, True)]),
                                        rgb=u16(np.stack([upright(RGB16[..., c], n)
                                                          for c in range(3)], axis=-1)))
         for n in (5, 6)}


@pytest.mark.parametrize("row", ROWS.values(), ids=ROWS.keys())
def test_tiff_gives_the_stated_pixels_or_one_line_error(row: Row, tmp_path: Path) -> None:
    check_row(row, tmp_path)


def test_tiff_past_the_projects_limit_is_refused_before_decoding(tmp_path: Path) -> None:
    tifffile.imwrite(tmp_path / "huge.tif", shape=(20000, 14000), dtype=np.uint8)  # sparse file
    with pytest.raises(ImageInputError, match=f"the limit is {MAX_FILE_PIXELS:,}"):
        from backend.engine.imageio import read_image
        read_image(tmp_path / "huge.tif")
