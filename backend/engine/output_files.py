"""Where results go: every output path checked before any work starts, files written atomically,
and a result that cannot be written where asked saved in the user's cache folder instead.

A finished stylization can take minutes; nothing in this module lets it be thrown away because of
a file name.
"""

from __future__ import annotations

import difflib
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import platformdirs
from PIL import Image

from backend.engine.events import EngineError
from backend.engine.file_pixels import note

IMAGE_SUFFIXES = {".png": "PNG", ".tif": "TIFF", ".tiff": "TIFF", ".jpg": "JPEG",
                  ".jpeg": "JPEG", ".webp": "WebP", ".bmp": "BMP"}
SIXTEEN_BIT_SUFFIXES = (".png", ".tif", ".tiff")
ALPHA_SUFFIXES = (".png", ".tif", ".tiff", ".webp")
APP_NAME = "portrait-stylize"


class OutputPathError(EngineError):
    """An output path that cannot be written (unknown extension, missing folder, no permission);
    raised before any work starts."""


class OutputWriteError(EngineError):
    """Writing a file failed at the end (disk full, permissions changed)."""


class ResultSavedElsewhere(EngineError):
    """The result could not be written where asked; ``fallback`` is where it was saved."""

    def __init__(self, message: str, fallback: Path) -> None:
        super().__init__(message)
        self.fallback = fallback


def default_bits(path: Path) -> int:
    """Bits per channel written when ``--bits`` is not given: 16 for TIFF, 8 otherwise."""
    return 16 if path.suffix.lower() in (".tif", ".tiff") else 8


def _suffix_fix(path: Path) -> str:
    known = ", ".join(IMAGE_SUFFIXES)
    guess = difflib.get_close_matches(path.suffix.lower(), IMAGE_SUFFIXES, n=1, cutoff=0.7)
    return f"did you mean {path.with_suffix(guess[0]).name}? (known: {known})" if guess else (
        f"end the name with one of {known}")


def check_image_path(path: Path, bits: int | None = None, make_folder: bool = False) -> None:
    """Check, before any work, that an image can be written at ``path`` with ``bits`` (8, 16 or
    None for :func:`default_bits`): a known extension, a depth the format has, and a writable
    folder (see :func:`check_writable`). Raises :class:`OutputPathError` in one line naming the
    path and the fix."""
    suffix = path.suffix.lower()
    if path.is_dir():
        raise OutputPathError(f"{path}: is a folder; give a file name, such as {path / 'out.png'}")
    if suffix not in IMAGE_SUFFIXES:
        what = f"unknown image extension '{path.suffix}'" if path.suffix else "no extension"
        raise OutputPathError(f"{path}: {what}; {_suffix_fix(path)}")
    if bits == 16 and suffix not in SIXTEEN_BIT_SUFFIXES:
        raise OutputPathError(f"{path}: {IMAGE_SUFFIXES[suffix]} has no 16-bit form; name the "
                              f"output .png, .tif or .tiff, or drop --bits 16")
    check_writable(path, make_folder)


def check_writable(path: Path, make_folder: bool = False) -> None:
    """Check that a file can be created at ``path``: not a folder, its folder exists (created
    first when ``make_folder``), and a file can be made there. Raises :class:`OutputPathError`."""
    if path.is_dir():
        raise OutputPathError(f"{path}: is a folder; give the name of a file in it")
    folder = path.parent
    if not folder.is_dir():
        if not make_folder:
            raise OutputPathError(f"{path}: the folder {folder} does not exist; create it, or "
                                  f"pass --mkdir to have it created")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise OutputPathError(f"{path}: cannot create the folder {folder} "
                                  f"({err.strerror}); choose another folder") from None
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{path.name}.", suffix=".probe"):
            pass
    except OSError as err:
        raise OutputPathError(f"{path}: cannot write in {folder} ({err.strerror}); choose a "
                              f"folder you can write to") from None


def note_what_the_output_drops(path: Path, bits: int | None, content) -> None:
    """Say once (as an :class:`~backend.engine.file_pixels.ImageNote`) what of the ``content``
    image (a PIL image or an array, as :func:`read_image` returns) an output at ``path`` with
    ``bits`` cannot carry: its transparency, or its 16-bit or float precision."""
    suffix = path.suffix.lower()
    if isinstance(content, Image.Image):
        has_alpha = content.mode in ("LA", "RGBA") or "transparency" in content.info
        deep = content.mode.startswith("I") or content.mode == "F"
    else:
        has_alpha = content.ndim == 3 and content.shape[2] in (2, 4)
        deep = content.dtype != np.uint8
    if has_alpha and suffix not in ALPHA_SUFFIXES:
        note(f"{path}: {IMAGE_SUFFIXES[suffix]} has no transparency: the content's alpha is "
             f"dropped (name the output .png, .tif or .webp to keep it)")
    if deep and (bits or default_bits(path)) == 8:
        keep = "pass --bits 16" if suffix in SIXTEEN_BIT_SUFFIXES else "name it .png or .tif"
        note(f"{path}: the content has more than 8 bits per channel and the output gets 8 "
             f"({keep} to keep them)")


@contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` (same extension) to write; renamed onto ``path`` when the
    block ends without error, removed otherwise, so a crash never leaves half a file under the
    final name."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                         suffix=path.suffix)
    os.close(handle)
    temporary = Path(temporary)
    temporary.chmod(_new_file_mode())  # mkstemp makes it 0600; a saved image is not a secret
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _new_file_mode() -> int:
    """The mode a file created with ``open()`` gets: 0666 less the process's umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def fallback_folder() -> Path:
    """Where results that could not be written are saved: the user's cache folder
    (``platformdirs``), or the temporary folder when that cannot be made."""
    folder = Path(platformdirs.user_cache_dir(APP_NAME)) / "results"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    except OSError:
        return Path(tempfile.gettempdir())


def save_with_fallback(path: Path, write: Callable[[Path], None]) -> Path:
    """``write(path)``; when that fails with an :class:`OSError` or :class:`OutputWriteError`,
    ``write`` to a new file of the same name and extension in :func:`fallback_folder` and raise
    :class:`ResultSavedElsewhere` saying where. Returns ``path`` when written there."""
    try:
        write(path)
        return path
    except (OSError, OutputWriteError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        fallback = fallback_folder() / f"{path.stem}-{stamp}-{os.getpid()}{path.suffix}"
        try:
            write(fallback)
        except (OSError, OutputWriteError) as second:
            raise OutputWriteError(f"could not write {path} ({reason}) nor the fallback "
                                   f"{fallback} ({second}); the result is lost") from err
        raise ResultSavedElsewhere(f"could not write {path} ({reason}); the result is saved "
                                   f"at {fallback}", fallback) from err
