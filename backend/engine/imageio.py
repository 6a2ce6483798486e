"""Reading and writing image files.

:func:`read_image` is the one way files come in: PNG (1-16 bits, palette, transparency), JPEG
(RGB, gray, CMYK), TIFF (see :mod:`backend.engine.tiff_files`), WebP, GIF and BMP, turned upright
by their EXIF orientation, refused in one line when empty, damaged or too large
(:data:`MAX_FILE_PIXELS`). Anything the reader decides for the user (the first frame of an
animation, a channel it drops) is said once as an :class:`ImageNote` warning.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import imagecodecs
import numpy as np
import tifffile
from PIL import Image, ImageOps, UnidentifiedImageError

from backend.engine.events import Result
from backend.engine.file_pixels import (
    MAX_FILE_PIXELS,
    ImageNote,
    check_pixel_count,
    note,
    oriented,
    profile_to_srgb,
)
from backend.engine.images import ImageInputError, srgb_profile_bytes
from backend.engine.output_files import (
    IMAGE_SUFFIXES,
    SIXTEEN_BIT_SUFFIXES,
    OutputWriteError,
    atomic_file,
    check_image_path,
    default_bits,
)
from backend.engine.tiff_files import TiffCodecMissing, read_tiff

__all__ = ["MAX_FILE_PIXELS", "ImageNote", "read_image", "write_image"]

TIFF_SUFFIXES = {".tif", ".tiff"}
TIFF_SIGNATURES = (b"II*\0", b"MM\0*", b"II+\0", b"MM\0+")
SIGNATURES = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG", b"GIF8": "GIF",
              b"BM": "BMP", b"RIFF": "WebP", b"II*\0": "TIFF", b"MM\0*": "TIFF"}
READ_FORMATS = "PNG, JPEG, TIFF, WebP, AVIF, GIF or BMP"
# Camera raw files are mostly TIFF inside, but their first image is a preview or sensor data.
RAW_SUFFIXES = {".cr2", ".cr3", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".dng", ".orf", ".rw2",
                ".raf", ".pef", ".srw", ".raw", ".3fr", ".iiq", ".erf", ".kdc", ".mrw", ".x3f"}
HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1")
ANIMATED_FORMATS = ("GIF", "PNG", "WEBP")
LOAD_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error)
ORIENTATION_TAG = 274


def read_image(path: str | Path) -> Image.Image | np.ndarray:
    """The image in the file at ``path``, upright, as what
    :func:`backend.engine.images.prepare` takes: a PIL image in mode L, LA, RGB, RGBA or CMYK
    (8 bits per sample; an ICC profile stays in ``info`` for conversion to sRGB) or an
    ``(H, W, C)`` array, C in 1-4, of uint16 or float32 in [0, 1], already in sRGB.

    The format is recognised from the file's content, not its name. Raises
    :class:`ImageInputError` (one line naming the file, the problem and the fix) for a missing,
    unreadable, empty, truncated or damaged file, a file that is not an image, and an image of
    more than :data:`MAX_FILE_PIXELS` pixels."""
    path = Path(path)
    head = _file_head(path)
    _refuse_undeveloped(path, head)
    if not head.startswith(TIFF_SIGNATURES):
        return _read_with_pillow(path, head)
    try:
        return read_tiff(path)
    except TiffCodecMissing as codec_missing:
        try:  # libtiff in Pillow knows a few codecs imagecodecs lacks (CCITT fax)
            return _read_with_pillow(path, head)
        except ImageInputError:
            raise codec_missing from None


def _file_head(path: Path) -> bytes:
    """The first bytes of the file, or the one-line reason it cannot be read."""
    try:
        with open(path, "rb") as stream:
            head = stream.read(64)
    except FileNotFoundError:
        raise ImageInputError(f"{path}: no such file; check the name and folder") from None
    except IsADirectoryError:
        raise ImageInputError(f"{path}: is a folder, not an image file") from None
    except OSError as err:
        raise ImageInputError(f"{path}: cannot be read ({err.strerror}); check its "
                              f"permissions") from None
    if not head:
        raise ImageInputError(f"{path}: the file is empty (0 bytes); export the image again")
    return head


def _refuse_undeveloped(path: Path, head: bytes) -> None:
    """Camera raw and HEIC files, refused with what to do instead of being misread."""
    if path.suffix.lower() in RAW_SUFFIXES:
        raise ImageInputError(f"{path}: a camera raw file; develop it (darktable, RawTherapee, "
                              f"Lightroom or the camera maker's software) and export a TIFF or "
                              f"JPEG")
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        raise ImageInputError(f"{path}: a HEIC/HEIF photo, which is not read here; export it as "
                              f"JPEG or PNG (an iPhone saves JPEG with Settings > Camera > "
                              f"Formats > Most Compatible)")


def _format_of(head: bytes) -> str | None:
    """The format the file's first bytes announce, if it is one this reader knows."""
    return next((name for signature, name in SIGNATURES.items() if head.startswith(signature)),
                None)


@contextmanager
def _without_pillow_pixel_limit() -> Iterator[None]:
    """Pillow refuses files past its own decompression-bomb limit (89 megapixels) with a
    traceback; the project's documented limit, checked before decoding, replaces it."""
    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def _read_with_pillow(path: Path, head: bytes) -> Image.Image | np.ndarray:
    name = str(path)
    announced = _format_of(head)
    with _without_pillow_pixel_limit():
        try:
            image = Image.open(path)
        except (UnidentifiedImageError, *LOAD_ERRORS) as err:
            if announced:
                raise ImageInputError(f"{name}: a damaged or truncated {announced} file; export "
                                      f"the image again") from err
            raise ImageInputError(f"{name}: not an image file (it starts with {head[:16]!r}); "
                                  f"save it as {READ_FORMATS}") from err
        check_pixel_count(name, *image.size)
        if getattr(image, "is_animated", False) and image.format in ANIMATED_FORMATS:
            note(f"{name}: an animated {image.format} with {image.n_frames} frames; using the "
                 f"first frame")
        if image.format == "PNG" and _png_bit_depth(head) == 16:
            return _read_png16(path, image)
        try:
            image.load()
        except LOAD_ERRORS as err:
            raise ImageInputError(f"{name}: the {image.format} file is truncated or damaged "
                                  f"({err}); export the image again") from err
    return _upright_in_known_mode(image)


def _upright_in_known_mode(image: Image.Image) -> Image.Image:
    """The image turned by its EXIF orientation, in mode L, LA, RGB, RGBA, CMYK or a 16/32-bit
    gray mode (transparency in a palette or a colour key becomes alpha); its ICC profile kept."""
    image = ImageOps.exif_transpose(image)
    if image.mode.startswith("I") or image.mode in ("F", "CMYK"):
        return image
    has_alpha = "transparency" in image.info or image.mode in ("LA", "La", "PA", "RGBA", "RGBa")
    gray = image.mode in ("1", "L", "LA", "La")
    target = ("LA" if has_alpha else "L") if gray else ("RGBA" if has_alpha else "RGB")
    if image.mode == target:
        return image
    icc = image.info.get("icc_profile")
    converted = image.convert(target)
    if icc:
        converted.info["icc_profile"] = icc
    return converted


def _png_bit_depth(head: bytes) -> int:
    """Bits per sample from the PNG header (Pillow reads 16-bit colour as 8-bit and does not
    say so)."""
    return head[24] if head[12:16] == b"IHDR" else 8


def _read_png16(path: Path, image: Image.Image) -> np.ndarray:
    """A 16-bit PNG as ``(H, W, C)`` uint16 (decoded by libpng through imagecodecs), in sRGB
    through its ICC profile, upright by its EXIF orientation."""
    name = str(path)
    try:
        pixels = imagecodecs.png_decode(path.read_bytes())
    except (imagecodecs.PngError, ValueError, OSError) as err:
        raise ImageInputError(f"{name}: the 16-bit PNG is truncated or damaged ({err}); export "
                              f"the image again") from err
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    if "transparency" in image.info:
        note(f"{name}: the 16-bit PNG's transparent colour key is ignored")
    icc = image.info.get("icc_profile")
    if icc and pixels.shape[2] >= 3:
        colour = profile_to_srgb(pixels[..., :3], icc, "rgb", name)
        pixels = np.dstack([colour, pixels[..., 3:]])
    elif icc:
        note(f"{name}: the grayscale image's ICC profile is not applied (read as sRGB gray)")
    exif = image.info.get("exif")
    return oriented(pixels, _exif_orientation(exif) if exif else 1)


def _exif_orientation(exif: bytes) -> int:
    tags = Image.Exif()
    tags.load(exif)
    return tags.get(ORIENTATION_TAG, 1)


def write_image(path: str | Path, result: Result, bits: int | None = None) -> Path:
    """Write ``result`` at ``path`` atomically (a temporary file renamed into place): PNG or TIFF
    with 8 or 16 bits per channel (``bits``; default 16 for TIFF, 8 otherwise), JPEG, WebP or BMP
    with 8, alpha kept where the format has it; an sRGB profile embedded (not in 16-bit PNG and
    BMP). Check the path first with :func:`~backend.engine.output_files.check_image_path`.

    Raises :class:`~backend.engine.output_files.OutputPathError` for a format that cannot hold
    the request, :class:`~backend.engine.output_files.OutputWriteError` or :class:`OSError` when
    writing fails."""
    path = Path(path)
    suffix = path.suffix.lower()
    bits = bits or default_bits(path)
    if suffix not in IMAGE_SUFFIXES or bits == 16 and suffix not in SIXTEEN_BIT_SUFFIXES:
        check_image_path(path, bits)
    with atomic_file(path) as temporary:
        if suffix in TIFF_SUFFIXES:
            tifffile.imwrite(temporary, result.to_array(bits), photometric="rgb",
                             extratags=[(34675, "B", None, srgb_profile_bytes(), False)])
        elif bits == 16:
            temporary.write_bytes(imagecodecs.png_encode(result.to_array(16)))
        else:
            _write_with_pillow(temporary, IMAGE_SUFFIXES[suffix], result)
    return path


def _write_with_pillow(path: Path, image_format: str, result: Result) -> None:
    image = result.to_pil()
    if image_format in ("JPEG", "BMP"):
        image = image.convert("RGB")
    extra = {"quality": 95} if image_format in ("JPEG", "WebP") else {}
    try:
        image.save(path, format=image_format.upper(), icc_profile=srgb_profile_bytes(), **extra)
    except (ValueError, KeyError) as err:
        raise OutputWriteError(f"{path}: Pillow cannot write this {image_format} ({err})") from err
