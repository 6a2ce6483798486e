"""Files the commands write besides results: the --preview file (replaced whole, never worth a
job) and CurveZMQ keys (a folder that cannot be made is one line)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from PIL import Image

from backend.cli.main import EXIT_FAILED, main
from backend.cli.outputs import PreviewFile
from backend.engine.file_pixels import ImageNote
from backend.weights.registry import ENV_CACHE


def test_a_preview_that_cannot_be_written_is_said_once_and_the_job_goes_on(
        tmp_path: Path) -> None:
    previews = PreviewFile(tmp_path / "gone" / "preview.png")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        previews.save(Image.new("RGB", (4, 3)))
        previews.save(Image.new("RGB", (4, 3)))
    notes = [str(w.message) for w in caught if issubclass(w.category, ImageNote)]
    assert len(notes) == 1 and "cannot write the preview" in notes[0]
    assert previews.path is None and not (tmp_path / "gone").exists()


def test_each_preview_replaces_the_file_whole(tmp_path: Path) -> None:
    previews = PreviewFile(tmp_path / "preview.png")
    previews.save(Image.new("RGB", (4, 3), (255, 0, 0)))
    previews.save(Image.new("RGB", (6, 5), (0, 0, 255)))
    with Image.open(tmp_path / "preview.png") as image:
        assert image.size == (6, 5) and image.getpixel((0, 0)) == (0, 0, 255)
    assert [p.name for p in tmp_path.iterdir()] == ["preview.png"]


@pytest.mark.parametrize("folder", ["/sys/kernel/portrait-keys", "{tmp}/a-file"])
def test_keys_in_a_folder_that_cannot_be_made_is_one_line(folder: str, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    folder = folder.format(tmp=tmp_path)
    assert main(["keys", "generate", "--dir", folder]) == 1
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and f"cannot write the keys in {folder}" in lines[0]
    assert "choose another folder with --dir" in lines[0]


def test_an_unforeseen_file_error_is_one_line_not_a_traceback(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture
                                                              ) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv(ENV_CACHE, str(tmp_path / "a-file" / "weights"))
    assert main(["weights", "fetch", "vgg19"]) == EXIT_FAILED
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert lines == [f"portrait-stylize: error: {tmp_path / 'a-file' / 'weights'}: "
                     f"Not a directory"]
