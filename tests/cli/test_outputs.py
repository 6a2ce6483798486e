"""The --preview file: replaced whole by each preview, and never worth a job."""

from __future__ import annotations

import warnings
from pathlib import Path

from PIL import Image

from backend.cli.outputs import PreviewFile
from backend.engine.file_pixels import ImageNote


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
