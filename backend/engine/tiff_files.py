"""TIFF files read with tifffile: every sample format (unsigned, signed, float; 1 to 64 bits),
chunky or planar samples, strips or tiles, every compression imagecodecs decodes, gray, palette,
RGB, YCbCr and CMYK, with alpha (associated or not), orientation and ICC profile."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tifffile
from PIL import Image
from tifffile import EXTRASAMPLE, PHOTOMETRIC

from backend.engine.file_pixels import (
    check_pixel_count,
    cmyk_to_rgb,
    full_scale,
    note,
    oriented,
    profile_to_srgb,
    unit_samples,
    unpremultiplied,
)
from backend.engine.images import ImageInputError

ALPHA_KINDS = (EXTRASAMPLE.ASSOCALPHA, EXTRASAMPLE.UNASSALPHA)
PIXEL_READ_ERRORS = (ValueError, RuntimeError, OSError, EOFError, KeyError, IndexError)


class TiffCodecMissing(ImageInputError):
    """The page is compressed with a codec imagecodecs lacks (Pillow's libtiff may have it)."""


def first_page(tiff: tifffile.TiffFile, name: str) -> tifffile.TiffPage:
    """The first full-resolution page; says once when later pages are ignored."""
    pages = [page for page in tiff.pages if not page.is_reduced]
    if len(pages) > 1:
        note(f"{name}: a TIFF with {len(pages)} pages; using the first")
    return pages[0] if pages else tiff.pages.first


def read_page(page: tifffile.TiffPage, name: str) -> Image.Image | np.ndarray:
    """A TIFF page as an sRGB PIL image (8-bit without a profile, or CMYK for Pillow's or the
    profile's conversion) or an ``(H, W, C)`` uint16/float32 array with C in 1-4, upright.

    Raises :class:`ImageInputError` for truncated or undecodable data and colour models that are
    not images (CIELab, multispectral)."""
    if page.compression not in tifffile.TIFF.DECOMPRESSORS:
        codec = getattr(page.compression, "name", page.compression)  # unknown codes are ints
        raise TiffCodecMissing(f"{name}: the TIFF's compression {codec} cannot be decoded "
                               f"here; export it uncompressed, LZW or Deflate")
    try:
        samples = page.asarray()
    except PIXEL_READ_ERRORS as err:  # damage, or a codec that needs what the file lacks
        codec = getattr(page.compression, "name", page.compression)
        raise ImageInputError(f"{name}: the TIFF's pixel data ({codec}) could not be decoded "
                              f"({err}); it is damaged or unusual: export the image again, "
                              f"uncompressed, LZW or Deflate") from err
    samples = _to_yxs(samples, page.axes)
    samples = _decode_photometric(page, samples, name)
    return _as_source(samples, page, name)


def _to_yxs(samples: np.ndarray, axes: str) -> np.ndarray:
    """Samples in ``(H, W, S)`` order (planar files store ``(S, H, W)``); the first plane of any
    depth axis."""
    if "S" not in axes:
        samples, axes = samples[..., None], axes + "S"
    samples = np.moveaxis(samples, [axes.index(a) for a in "YXS"], [-3, -2, -1])
    while samples.ndim > 3:
        samples = samples[0]
    return samples


def _decode_photometric(page: tifffile.TiffPage, samples: np.ndarray,
                        name: str) -> np.ndarray:
    """Samples scaled to a common range (see :func:`unit_samples`), palettes looked up and
    white-is-zero inverted."""
    photometric = page.photometric
    if photometric == PHOTOMETRIC.PALETTE:
        colormap = page.colormap
        if colormap is None:
            raise ImageInputError(f"{name}: a palette TIFF without its colour map; export it "
                                  f"again as RGB")
        table = colormap.T
        if (table % 257 == 0).all():
            table = (table // 257).astype(np.uint8)
        return table[samples[..., 0]]
    samples = unit_samples(samples, page.bitspersample, name)
    if photometric == PHOTOMETRIC.MINISWHITE:
        colour = full_scale(samples) - samples[..., :1]
        return np.concatenate([colour.astype(samples.dtype), samples[..., 1:]], axis=2)
    if photometric not in (PHOTOMETRIC.MINISBLACK, PHOTOMETRIC.RGB, PHOTOMETRIC.SEPARATED,
                           PHOTOMETRIC.YCBCR):
        raise ImageInputError(f"{name}: a {photometric.name} TIFF is not read here; export it "
                              f"as RGB, grayscale or CMYK")
    return samples


def _split_alpha(page: tifffile.TiffPage, samples: np.ndarray, colour_channels: int,
                 name: str) -> tuple[np.ndarray, np.ndarray | None, bool]:
    """``(colour, alpha or None, alpha is premultiplied)``; extra channels that are not alpha
    are dropped, with a note."""
    colour, extra = samples[..., :colour_channels], samples[..., colour_channels:]
    kinds = tuple(page.extrasamples)[: extra.shape[2]]
    if extra.shape[2] == 0:
        return colour, None, False
    alpha_at = next((i for i, kind in enumerate(kinds) if kind in ALPHA_KINDS), None)
    dropped = extra.shape[2] - (alpha_at is not None)
    if dropped:
        note(f"{name}: {dropped} extra channel(s) that are not transparency are ignored")
    if alpha_at is None:
        return colour, None, False
    return colour, extra[..., alpha_at], kinds[alpha_at] == EXTRASAMPLE.ASSOCALPHA


def _as_source(samples: np.ndarray, page: tifffile.TiffPage,
               name: str) -> Image.Image | np.ndarray:
    icc = page.tags.valueof(34675)
    photometric = page.photometric
    colour_channels = {PHOTOMETRIC.SEPARATED: 4, PHOTOMETRIC.RGB: 3, PHOTOMETRIC.YCBCR: 3,
                       PHOTOMETRIC.PALETTE: 3}.get(photometric, 1)
    if photometric == PHOTOMETRIC.SEPARATED and samples.shape[2] < 4:
        raise ImageInputError(f"{name}: a separated (ink) TIFF with {samples.shape[2]} inks; "
                              f"only CMYK is read: export it as CMYK or RGB")
    colour, alpha, premultiplied = _split_alpha(page, samples, colour_channels, name)
    if photometric == PHOTOMETRIC.YCBCR and page.compression != tifffile.COMPRESSION.JPEG:
        colour = np.asarray(Image.fromarray(np.ascontiguousarray(colour), "YCbCr").convert("RGB"))
    colour = _colour_to_srgb(colour, icc, photometric, name)
    if alpha is not None and alpha.dtype != colour.dtype:
        alpha = (alpha.astype(np.float32) / full_scale(alpha))
        colour = colour.astype(np.float32) / full_scale(colour)
    if premultiplied:
        colour = unpremultiplied(colour, alpha)
        alpha = alpha.astype(np.float32) / full_scale(alpha)
    pixels = colour if alpha is None else np.dstack([colour, alpha.astype(colour.dtype)])
    pixels = oriented(pixels, page.tags.valueof(274) or 1)
    if pixels.dtype == np.uint8:
        mode = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[pixels.shape[2]]
        return Image.fromarray(pixels if pixels.shape[2] > 1 else pixels[..., 0], mode)
    return pixels


def _colour_to_srgb(colour: np.ndarray, icc: bytes | None, photometric: PHOTOMETRIC,
                    name: str) -> np.ndarray:
    """Colour samples in sRGB at their own depth: through the ICC profile when there is one,
    CMYK by Pillow's formula otherwise."""
    if photometric == PHOTOMETRIC.SEPARATED:
        if icc:
            return profile_to_srgb(colour, icc, "cmyk", name)
        if colour.dtype == np.uint8:
            cmyk = Image.fromarray(np.ascontiguousarray(colour), "CMYK")
            return np.asarray(cmyk.convert("RGB"))
        return cmyk_to_rgb(colour)
    if icc and colour.shape[2] == 3:
        return profile_to_srgb(colour, icc, "rgb", name)
    if icc:
        note(f"{name}: the grayscale image's ICC profile is not applied (read as sRGB gray)")
    return colour


def read_tiff(path: Path) -> Image.Image | np.ndarray:
    """The first page of the TIFF at ``path`` (see :func:`read_page`). Raises
    :class:`TiffCodecMissing` when its compression cannot be decoded, :class:`ImageInputError` for
    other unreadable files and pages past :data:`MAX_FILE_PIXELS`."""
    name = str(path)
    try:
        tiff = tifffile.TiffFile(path)
        page = first_page(tiff, name)
    except (tifffile.TiffFileError, *PIXEL_READ_ERRORS) as err:
        raise ImageInputError(f"{name}: not a readable TIFF, or truncated ({err}); export the "
                              f"image again") from err
    with tiff:
        check_pixel_count(name, page.imagewidth, page.imagelength)
        return read_page(page, name)
