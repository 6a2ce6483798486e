"""Every stylization command in each of its output modes (quiet, normal, with previews, with
--metadata, and mixed), in this process and through a real server: each one delivers the image,
the metadata and previews when asked, and one closing line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from PIL import Image

from backend.cli.main import main
from tests.photos import photo

TINY = ["--face-weight", "0", "--mesh-weight", "0",
        "--min-scale", "32", "--end-scale", "32", "--initial-iterations", "2",
        "--iterations", "1"]
MODES = {"normal": [], "quiet": ["-q"], "metadata": ["--metadata"],
         "quiet with metadata": ["-q", "--metadata"], "previews": ["--preview"],
         "quiet with previews and metadata": ["-q", "--preview", "--metadata"]}
OUTPUT_SIZES = {"stylize": (32, 21), "demo": (32, 32), "submit": (32, 21)}  # end scale 32
BAR = re.compile(r"\d+it|it/s|s/it|\|")  # what tqdm draws


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("modes")
    photo("astronaut").resize((48, 32)).save(folder / "content.png")
    photo("brick").resize((32, 32)).save(folder / "style.png")
    return [folder / "content.png", folder / "style.png"]


def command_line(command: str, mode: str, images: list[Path], out: Path,
                 endpoint: str) -> list[str]:
    flags: list[str] = []
    values = {"--metadata": [str(out.with_suffix(".json"))],
              "--preview": [str(out.with_name("preview.png")), "--preview-every", "1"]}
    for flag in MODES[mode]:
        flags += [flag, *values.get(flag, [])]
    where = (["--endpoint", endpoint] if command == "submit"
             else ["--device", "cpu", "--allow-random-weights"])
    inputs = ["--style", "brick"] if command == "demo" else list(map(str, images))
    return [command, *inputs, "-o", str(out), *flags, *where, *TINY]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("command", OUTPUT_SIZES)
def test_command_delivers_in_every_output_mode(command: str, mode: str, images: list[Path],
                                               server, tmp_path: Path,
                                               capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "out.png"
    assert main(command_line(command, mode, images, out, server.endpoint)) == 0
    with Image.open(out) as image:
        assert image.size == OUTPUT_SIZES[command]
    metadata = out.with_suffix(".json")
    assert metadata.exists() == ("--metadata" in MODES[mode])
    if metadata.exists():
        assert json.loads(metadata.read_text())["options"]["end_scale"] == 32
    preview = out.with_name("preview.png")
    assert preview.exists() == ("--preview" in MODES[mode])
    if preview.exists():
        with Image.open(preview) as image:
            assert image.mode == "RGB" and image.size == OUTPUT_SIZES[command]  # the last
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[-1].startswith(f"wrote {out} ({'x'.join(map(str, OUTPUT_SIZES[command]))}")
    if command == "submit":
        job = re.search(r"job ([^\s;)]+)", lines[-1]).group(1)
        assert any(f"submitted job {job}" in line for line in lines[:-1])
    if "-q" in MODES[mode]:
        assert not BAR.search("\n".join(lines[:-1]))
