"""The image reader, as a table: each row builds one file and states the pixels it must give
(after :func:`prepare`, as float RGB and alpha) or the one-line error it must raise."""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

from backend.engine.imageio import MAX_FILE_PIXELS, ImageNote, read_image
from backend.engine.images import ImageInputError, prepare
from tests.engine.image_files import (
    cmyk_profile,
    exif_with_orientation,
    png_bytes,
    write_blank_1bit_png,
)

RNG = np.random.default_rng(7)
RGB8 = RNG.integers(0, 256, (5, 6, 3), dtype=np.uint8)
ALPHA8 = RNG.integers(0, 256, (5, 6), dtype=np.uint8)
RGB16 = RNG.integers(0, 65536, (5, 6, 3), dtype=np.uint16)
ALPHA16 = RNG.integers(0, 65536, (5, 6), dtype=np.uint16)
CMYK8 = RNG.integers(0, 256, (5, 6, 4), dtype=np.uint8)
# Orientation n displays the stored pixels after these transposes (EXIF 2.32, table 4).
DISPLAY = {1: [], 2: [Image.FLIP_LEFT_RIGHT], 3: [Image.ROTATE_180], 4: [Image.FLIP_TOP_BOTTOM],
           5: [Image.TRANSPOSE], 6: [Image.ROTATE_270], 7: [Image.TRANSVERSE],
           8: [Image.ROTATE_90]}


@dataclass
class Row:
    """One file: ``make(folder) -> path``; then either ``rgb`` (``(H, W, 3)`` in [0, 1]) and
    ``alpha`` or ``error``; ``note`` is a pattern the one note said must match."""

    make: Callable[[Path], Path]
    rgb: np.ndarray | None = None
    alpha: np.ndarray | None = None
    error: str | None = None
    note: str | None = None
    atol: float = 1e-6


def saved(name: str, image: Image.Image, **params) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        image.save(folder / name, **params)
        return folder / name
    return make


def written(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        (folder / name).write_bytes(data)
        return folder / name
    return make


def cut(make: Callable[[Path], Path], keep: float) -> Callable[[Path], Path]:
    """The file ``make`` writes, cut to ``keep`` of its length."""
    def make_cut(folder: Path) -> Path:
        path = make(folder)
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * keep)])
        return path
    return make_cut


def upright(pixels: np.ndarray, orientation: int) -> np.ndarray:
    image = Image.fromarray(pixels)
    for method in DISPLAY[orientation]:
        image = image.transpose(method)
    return np.asarray(image)


def u8(a: np.ndarray) -> np.ndarray:
    return a / 255.0


def u16(a: np.ndarray) -> np.ndarray:
    return a / 65535.0


def gray3(a: np.ndarray) -> np.ndarray:
    return np.repeat(a[..., None], 3, axis=2)


def _palette_image() -> Image.Image:
    image = Image.fromarray(RGB8[..., 0] % 4, "P")
    image.putpalette([10, 20, 30, 200, 100, 0, 0, 250, 5, 90, 90, 90])
    return image


PALETTE = np.array([[10, 20, 30], [200, 100, 0], [0, 250, 5], [90, 90, 90]], np.uint8)
PALETTE_ALPHA = np.array([255, 0, 128, 255], np.uint8)
KEY = tuple(int(v) for v in RGB8[0, 0])
CMYK_ICC = cmyk_profile()
SRGB = ImageCms.createProfile("sRGB")


def cmyk_through(icc: bytes, cmyk: np.ndarray) -> np.ndarray:
    converted = ImageCms.profileToProfile(Image.fromarray(cmyk, "CMYK"),
                                          ImageCms.ImageCmsProfile(io.BytesIO(icc)), SRGB,
                                          outputMode="RGB")
    return np.asarray(converted)


def animated(name: str, **params) -> Callable[[Path], Path]:
    frames = [Image.new("RGB", (6, 5), (60 * i, 200 - 60 * i, 30)) for i in range(3)]
    return saved(name, frames[0], save_all=True, append_images=frames[1:], **params)


UNIFORM_CMYK = np.full((16, 16, 4), (30, 90, 160, 40), np.uint8)
FIRST_FRAME = np.full((5, 6, 3), (0, 200, 30), np.uint8) / 255.0

ROWS: dict[str, Row] = {
    "png 1-bit": Row(saved("a.png", Image.fromarray(RGB8[..., 0] > 127)),
                     rgb=gray3(RGB8[..., 0] > 127).astype(float)),
    "png 2-bit gray": Row(written("a.png", png_bytes(RGB8[..., 0] % 4, bits=2)),
                          rgb=gray3(RGB8[..., 0] % 4 * 85 / 255.0)),
    "png 4-bit gray": Row(written("a.png", png_bytes(RGB8[..., 0] % 16, bits=4)),
                          rgb=gray3(RGB8[..., 0] % 16 * 17 / 255.0)),
    "png 8-bit L": Row(saved("a.png", Image.fromarray(RGB8[..., 1])), rgb=gray3(u8(RGB8[..., 1]))),
    "png 8-bit LA": Row(saved("a.png", Image.fromarray(np.dstack([RGB8[..., 1], ALPHA8]), "LA")),
                        rgb=gray3(u8(RGB8[..., 1])), alpha=u8(ALPHA8)),
    "png 8-bit RGB": Row(saved("a.png", Image.fromarray(RGB8)), rgb=u8(RGB8)),
    "png 8-bit RGBA": Row(saved("a.png", Image.fromarray(np.dstack([RGB8, ALPHA8]))),
                          rgb=u8(RGB8), alpha=u8(ALPHA8)),
    "png 16-bit I;16": Row(written("a.png", png_bytes(RGB16[..., 2])),
                           rgb=gray3(u16(RGB16[..., 2]))),
    "png 16-bit gray+alpha": Row(written("a.png", png_bytes(np.dstack([RGB16[..., 2], ALPHA16]))),
                                 rgb=gray3(u16(RGB16[..., 2])), alpha=u16(ALPHA16)),
    "png 16-bit RGB": Row(written("a.png", png_bytes(RGB16)), rgb=u16(RGB16)),
    "png 16-bit RGBA": Row(written("a.png", png_bytes(np.dstack([RGB16, ALPHA16]))),
                           rgb=u16(RGB16), alpha=u16(ALPHA16)),
    "png 16-bit RGB orientation 6": Row(
        written("a.png", png_bytes(RGB16, exif=exif_with_orientation(6))),
        rgb=np.rot90(u16(RGB16), -1)),
    "png palette with transparency": Row(
        saved("a.png", _palette_image(), transparency=PALETTE_ALPHA.tobytes()),
        rgb=u8(PALETTE[RGB8[..., 0] % 4]), alpha=u8(PALETTE_ALPHA[RGB8[..., 0] % 4])),
    "png RGB with a transparent colour": Row(
        saved("a.png", Image.fromarray(RGB8), transparency=KEY), rgb=u8(RGB8),
        alpha=np.where((RGB8 == KEY).all(axis=2), 0.0, 1.0)),
    "bmp RGB": Row(saved("a.bmp", Image.fromarray(RGB8)), rgb=u8(RGB8)),
    "webp lossless RGBA": Row(saved("a.webp", Image.fromarray(np.dstack([RGB8, ALPHA8])),
                                    lossless=True, exact=True), rgb=u8(RGB8), alpha=u8(ALPHA8)),
    "jpeg gray": Row(saved("a.jpg", Image.new("L", (16, 16), 77), quality=100),
                     rgb=np.full((16, 16, 3), 77 / 255), atol=1.5 / 255),
    "jpeg CMYK without profile": Row(
        saved("a.jpg", Image.fromarray(UNIFORM_CMYK, "CMYK"), quality=100),
        rgb=(1 - UNIFORM_CMYK[..., :3] / 255) * (1 - UNIFORM_CMYK[..., 3:] / 255), atol=3 / 255),
    "jpeg CMYK with profile": Row(
        saved("a.jpg", Image.fromarray(UNIFORM_CMYK, "CMYK"), quality=100, icc_profile=CMYK_ICC),
        rgb=u8(cmyk_through(CMYK_ICC, UNIFORM_CMYK)), atol=3 / 255),
    "jpeg orientation 6": Row(
        saved("a.jpg", Image.new("RGB", (16, 8), (200, 40, 90)), quality=100,
              exif=exif_with_orientation(6)),
        rgb=np.full((16, 8, 3), (200, 40, 90)) / 255.0, atol=3 / 255),
    "animated gif": Row(animated("a.gif"), rgb=FIRST_FRAME, note="animated GIF with 3 frames"),
    "animated webp": Row(animated("a.webp", lossless=True), rgb=FIRST_FRAME,
                         note="animated WEBP with 3 frames"),
    "animated png": Row(animated("a.png"), rgb=FIRST_FRAME, note="animated PNG with 3 frames"),
    "empty file": Row(written("a.png", b""), error="the file is empty"),
    "text named .png": Row(written("a.png", b"hello, this is text\n"),
                           error="not an image file .* save it as PNG, JPEG, TIFF"),
    "png cut in the header": Row(cut(saved("a.png", Image.fromarray(RGB8)), 0.1),
                                 error="a damaged or truncated PNG file"),
    "png cut in the pixels": Row(cut(saved("a.png", Image.fromarray(
        RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8))), 0.5),
        error="PNG file is truncated or damaged"),
    "jpeg cut in the pixels": Row(cut(saved("a.jpg", Image.fromarray(
        RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8))), 0.5),
        error="JPEG file is truncated or damaged"),
    "16-bit png cut in the pixels": Row(cut(written("a.png", png_bytes(
        RNG.integers(0, 65536, (64, 64, 3), dtype=np.uint16))), 0.6),
        error="16-bit PNG is truncated or damaged"),
    "avif": Row(saved("a.avif", Image.new("RGB", (16, 8), (30, 160, 90)), quality=100),
                rgb=np.full((8, 16, 3), (30, 160, 90)) / 255.0, atol=4 / 255),
    "camera raw (a TIFF inside)": Row(saved("a.NEF", Image.fromarray(RGB8), format="TIFF"),
                                      error="a camera raw file; develop it"),
    "heic": Row(written("a.heic", b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + bytes(40)),
                error="a HEIC/HEIF photo, which is not read here; export it as JPEG or PNG"),
    "missing file": Row(lambda folder: folder / "none.png", error="no such file"),
    "a folder": Row(lambda folder: folder, error="is a folder, not an image file"),
}
ROWS |= {f"png orientation {n}": Row(
    saved("a.png", Image.fromarray(RGB8), exif=exif_with_orientation(n)),
    rgb=u8(upright(RGB8, n))) for n in range(1, 9)}


def read_as_engine_input(path: Path) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        source = prepare(read_image(path))
    notes = [str(w.message) for w in caught if issubclass(w.category, ImageNote)]
    return source.tensor()[0].permute(1, 2, 0).numpy(), source.alpha, notes


def check_row(row: Row, folder: Path) -> None:
    path = row.make(folder)
    if row.error:
        with pytest.raises(ImageInputError, match=row.error) as caught:
            read_as_engine_input(path)
        message = str(caught.value)
        assert "\n" not in message and str(path) in message
        return
    rgb, alpha, notes = read_as_engine_input(path)
    np.testing.assert_allclose(rgb, row.rgb, atol=row.atol)
    if row.alpha is None:
        assert alpha is None
    else:
        np.testing.assert_allclose(alpha, row.alpha, atol=1e-6)
    assert len(notes) == (row.note is not None), notes
    if row.note:
        assert str(path) in notes[0] and re.search(row.note, notes[0]), notes[0]


@pytest.mark.parametrize("row", ROWS.values(), ids=ROWS.keys())
def test_file_gives_the_stated_pixels_or_one_line_error(row: Row, tmp_path: Path) -> None:
    check_row(row, tmp_path)


def test_png_past_pillows_bomb_limit_is_read_under_the_projects_limit(tmp_path: Path) -> None:
    width, height = 9600, 9600  # 92 megapixels: Pillow alone warns past 89 and refuses past 179
    assert Image.MAX_IMAGE_PIXELS < width * height < MAX_FILE_PIXELS
    write_blank_1bit_png(tmp_path / "scan.png", width, height)
    image = read_image(tmp_path / "scan.png")
    assert image.size == (width, height) and image.getpixel((width - 1, height - 1)) == 255


def test_png_past_the_projects_limit_is_refused_naming_the_limit(tmp_path: Path) -> None:
    write_blank_1bit_png(tmp_path / "huge.png", 20000, 14000)
    with pytest.raises(ImageInputError, match=f"the limit is {MAX_FILE_PIXELS:,}") as caught:
        read_image(tmp_path / "huge.png")
    assert "20000x14000" in str(caught.value) and "\n" not in str(caught.value)


def test_pillows_own_limit_is_left_as_it_was(tmp_path: Path) -> None:
    before = Image.MAX_IMAGE_PIXELS
    Image.fromarray(RGB8).save(tmp_path / "a.png")
    read_image(tmp_path / "a.png")
    assert before == Image.MAX_IMAGE_PIXELS
