"""Output paths checked before work, atomic writes, and the fallback that keeps a finished
result."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from backend.engine.events import Result
from backend.engine.file_pixels import ImageNote
from backend.engine.imageio import read_image, write_image
from backend.engine.images import prepare
from backend.engine.output_files import (
    OutputPathError,
    ResultSavedElsewhere,
    atomic_file,
    check_image_path,
    check_writable,
    note_what_the_output_drops,
    save_with_fallback,
)

UNWRITABLE_FOLDER = Path("/sys/kernel")  # refuses new files even to root


def result(channels: int = 3) -> Result:
    return Result(np.random.default_rng(3).random((5, 7, channels)).astype(np.float32))


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.mark.parametrize(("name", "bits", "complaint"), [
    ("out.jgp", None, r"unknown image extension '\.jgp'; did you mean out\.jpg\?"),
    ("out.pgn", None, r"did you mean out\.png\?"),
    ("out", None, "no extension; end the name with one of .png, .tif"),
    ("out.txt", None, "unknown image extension '.txt'; end the name with one of"),
    ("out.jpg", 16, "JPEG has no 16-bit form; name the output .png, .tif or .tiff"),
    ("out.webp", 16, "WebP has no 16-bit form"),
    ("missing/out.png", None, "the folder .*missing does not exist; create it, or pass --mkdir"),
    ("missing/out.tif", 16, "the folder .*missing does not exist"),
])
def test_bad_output_path_is_one_line_naming_path_and_fix(tmp_path: Path, name: str,
                                                         bits: int | None,
                                                         complaint: str) -> None:
    path = tmp_path / name
    with pytest.raises(OutputPathError, match=complaint) as caught:
        check_image_path(path, bits)
    assert str(caught.value).startswith(str(path)) and "\n" not in str(caught.value)
    assert not path.parent.exists() or list(path.parent.iterdir()) == []


def test_missing_folder_is_created_when_asked(tmp_path: Path) -> None:
    check_image_path(tmp_path / "new" / "deeper" / "out.png", make_folder=True)
    assert (tmp_path / "new" / "deeper").is_dir()
    assert list((tmp_path / "new" / "deeper").iterdir()) == []  # the probe file is gone


def test_folder_given_as_output_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OutputPathError, match="is a folder; give the name of a file in it"):
        check_writable(tmp_path)


def test_folder_without_write_permission_is_refused() -> None:
    with pytest.raises(OutputPathError, match=f"cannot write in {UNWRITABLE_FOLDER} "
                                              r"\(Permission denied\)"):
        check_image_path(UNWRITABLE_FOLDER / "out.png")


@pytest.mark.parametrize("name", ["out.png", "out.tif", "out.jpg", "out.webp", "out.bmp"])
def test_every_accepted_extension_passes_and_writes(tmp_path: Path, name: str) -> None:
    check_image_path(tmp_path / name)
    write_image(tmp_path / name, result())
    assert prepare(read_image(tmp_path / name)).size == (7, 5)
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.png"
    target.write_bytes(b"the previous result")
    with pytest.raises(RuntimeError, match="crashed"), atomic_file(target) as temporary:
        temporary.write_bytes(b"half an ima")
        raise RuntimeError("crashed while writing")
    assert target.read_bytes() == b"the previous result"
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


def test_write_replaces_an_existing_file_whole(tmp_path: Path) -> None:
    (tmp_path / "out.png").write_bytes(b"old")
    write_image(tmp_path / "out.png", result(4))
    with Image.open(tmp_path / "out.png") as image:
        assert image.mode == "RGBA" and image.size == (7, 5)


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_a_written_image_gets_the_mode_a_new_file_gets(tmp_path: Path, umask: int) -> None:
    previous = os.umask(umask)
    try:
        write_image(tmp_path / "out.png", result(4))
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "out.png").stat().st_mode) == 0o666 & ~umask


def test_result_goes_to_the_cache_folder_when_the_output_folder_vanished(
        tmp_path: Path, cache_home: Path) -> None:
    folder = tmp_path / "shoot"
    folder.mkdir()
    check_image_path(folder / "portrait.png")
    shutil.rmtree(folder)  # after the check, before the end of the job
    finished = result()
    with pytest.raises(ResultSavedElsewhere, match="could not write .*portrait.png "
                                                   r"\(No such file or directory\); the result "
                                                   "is saved at ") as caught:
        save_with_fallback(folder / "portrait.png",
                           lambda path: write_image(path, finished))
    saved = caught.value.fallback
    assert saved.parent == cache_home / "portrait-stylize" / "results"
    assert saved.name.startswith("portrait-") and saved.suffix == ".png"
    assert str(saved) in str(caught.value)
    np.testing.assert_array_equal(np.asarray(read_image(saved)), finished.to_array(8))


def test_result_goes_to_the_temporary_folder_when_the_cache_cannot_be_made(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "not-a-folder").write_text("a file where the cache would go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "not-a-folder"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))  # the documented setting
    with pytest.raises(ResultSavedElsewhere) as caught:
        save_with_fallback(tmp_path / "gone" / "out.png",
                           lambda path: write_image(path, result()))
    assert caught.value.fallback.parent == tmp_path / "tmp"
    assert caught.value.fallback.is_file()


def test_successful_save_returns_the_path_and_uses_no_fallback(tmp_path: Path,
                                                               cache_home: Path) -> None:
    assert save_with_fallback(tmp_path / "out.tif",
                              lambda path: write_image(path, result())) == tmp_path / "out.tif"
    assert not cache_home.exists()


def notes_for(path: str, bits: int | None, content) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        note_what_the_output_drops(Path(path), bits, content)
    return [str(w.message) for w in caught if issubclass(w.category, ImageNote)]


@pytest.mark.parametrize(("path", "bits", "content", "said"), [
    ("out.jpg", None, Image.new("RGBA", (2, 2)), ["JPEG has no transparency: the content's alpha "
                                                  "is dropped"]),
    ("out.bmp", None, np.zeros((2, 2, 2), np.uint8), ["BMP has no transparency"]),
    ("out.png", None, np.zeros((2, 2, 3), np.uint16), ["more than 8 bits per channel and the "
                                                       "output gets 8 (pass --bits 16"]),
    ("out.webp", None, np.zeros((2, 2, 4), np.float32),
     ["more than 8 bits per channel and the output gets 8 (name it .png or .tif"]),
    ("out.jpg", None, np.zeros((2, 2, 4), np.uint16), ["has no transparency", "more than 8 bits"]),
    ("out.png", 16, np.zeros((2, 2, 4), np.uint16), []),
    ("out.tif", None, np.zeros((2, 2, 3), np.float32), []),
    ("out.png", None, Image.new("RGBA", (2, 2)), []),
    ("out.jpg", None, Image.new("RGB", (2, 2)), []),
])
def test_what_the_output_cannot_carry_is_said_once(path: str, bits: int | None, content,
                                                   said: list[str]) -> None:
    notes = notes_for(path, bits, content)
    assert len(notes) == len(said), notes
    for line, expected in zip(notes, said, strict=True):
        assert line.startswith(path) and expected in line
