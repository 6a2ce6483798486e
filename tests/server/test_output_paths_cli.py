"""Output paths on the command line: refused before any work (before models load and before a
server is contacted), created with --mkdir, and a result that cannot be written at the end saved
in the cache folder with a line saying where."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from backend.cli.main import EXIT_FAILED, EXIT_USAGE, main
from backend.weights.registry import ENV_CACHE
from tests.photos import photo
from tests.server.conftest import ENDLESS, ROOT
from tests.shared.messages import free_endpoint

TINY = ["--face-weight", "0", "--mesh-weight", "0", "--min-scale", "32", "--end-scale", "32",
        "--initial-iterations", "2", "--iterations", "1", "-q"]


@pytest.fixture
def images(tmp_path: Path) -> list[Path]:
    photo("astronaut").resize((48, 32)).save(tmp_path / "content.png")
    photo("brick").resize((32, 32)).save(tmp_path / "style.png")
    return [tmp_path / "content.png", tmp_path / "style.png"]


@pytest.fixture
def no_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty weights cache: a command that got as far as loading models would exit 3."""
    (tmp_path / "weights").mkdir()
    monkeypatch.setenv(ENV_CACHE, str(tmp_path / "weights"))


def error_lines(capsys: pytest.CaptureFixture) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.strip()]


BAD_OUTPUTS = {
    "typo in the extension": (["-o", "{dir}/out.jgp"], "did you mean out.jpg"),
    "missing folder": (["-o", "{dir}/missing/out.png"], "does not exist; create it, or pass "
                                                        "--mkdir"),
    "missing folder for a TIFF": (["-o", "{dir}/missing/out.tif"], "does not exist"),
    "16 bits into JPEG": (["-o", "{dir}/out.jpg", "--bits", "16"], "JPEG has no 16-bit form"),
    "a folder": (["-o", "{dir}"], "is a folder"),
    "metadata in a missing folder": (["-o", "{dir}/out.png", "--metadata",
                                      "{dir}/missing/meta.json"], "does not exist"),
    "preview with a typo": (["-o", "{dir}/out.png", "--preview", "{dir}/p.pgn"],
                            "did you mean p.png"),
    "preview in a missing folder": (["-o", "{dir}/out.png", "--preview",
                                            "{dir}/missing/p.png"], "does not exist"),
}


@pytest.mark.parametrize("case", BAD_OUTPUTS.values(), ids=BAD_OUTPUTS.keys())
def test_stylize_refuses_a_bad_output_before_loading_models(case, images, no_weights,
                                                            tmp_path: Path, capsys) -> None:
    flags, complaint = case
    flags = [flag.format(dir=tmp_path) for flag in flags]
    assert main(["stylize", *map(str, images), *flags, *TINY]) == EXIT_USAGE
    lines = error_lines(capsys)
    assert len(lines) == 1 and complaint in lines[0] and str(tmp_path) in lines[0]


@pytest.mark.parametrize("case", BAD_OUTPUTS.values(), ids=BAD_OUTPUTS.keys())
def test_submit_refuses_a_bad_output_before_contacting_a_server(case, images, tmp_path: Path,
                                                               capsys) -> None:
    flags, complaint = case
    flags = [flag.format(dir=tmp_path) for flag in flags]
    args = ["submit", *map(str, images), *flags, "--endpoint", free_endpoint(), "--timeout",
            "0.5", *TINY]
    assert main(args) == EXIT_USAGE
    lines = error_lines(capsys)
    assert len(lines) == 1 and complaint in lines[0]


def test_mkdir_creates_the_output_and_metadata_folders(images, server, tmp_path: Path) -> None:
    out, meta = tmp_path / "a" / "b" / "out.png", tmp_path / "c" / "meta.json"
    assert main(["submit", *map(str, images), "-o", str(out), "--metadata", str(meta),
                 "--mkdir", "--endpoint", server.endpoint, *TINY]) == 0
    assert Image.open(out).size == (32, 21) and meta.is_file()


def test_what_the_output_drops_is_said_before_any_work(tmp_path: Path, capsys) -> None:
    rgba = np.dstack([np.asarray(photo("astronaut").resize((48, 32))),
                      np.full((32, 48), 200, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(tmp_path / "content.png")
    photo("brick").resize((32, 32)).save(tmp_path / "style.png")
    args = ["submit", str(tmp_path / "content.png"), str(tmp_path / "style.png"), "-o",
            str(tmp_path / "out.jpg"), "--endpoint", free_endpoint(), "--timeout", "0.5", *TINY]
    assert main(args) == EXIT_FAILED  # no server answered: the note came first
    lines = error_lines(capsys)
    assert "note:" in lines[0] and "JPEG has no transparency" in lines[0]
    assert "no backend answered" in lines[-1]


def test_a_result_that_cannot_be_written_is_saved_in_the_cache(start_server, images, content,
                                                               style, tmp_path: Path) -> None:
    server = start_server("--lazy")
    server.wait_healthy()
    shoot = tmp_path / "shoot"
    shoot.mkdir()
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"}
    with server.client() as blocker_client:
        blocker = blocker_client.submit(content, [style], options=ENDLESS)
        next(event for event in blocker.events() if event.kind == "progress")
        cli = subprocess.Popen([sys.executable, "-m", "backend", "submit", *map(str, images),
                                "-o", str(shoot / "out.png"), "--endpoint", server.endpoint,
                                *TINY], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
        submitted = cli.stderr.readline()  # the job is queued behind the blocker now
        assert "submitted job" in submitted, submitted
        for leftover in shoot.iterdir():
            leftover.unlink()
        shoot.rmdir()  # the folder goes while the job waits
        blocker.cancel()
        err = cli.stderr.read()
        assert cli.wait(timeout=300) == EXIT_FAILED
    saved = re.search(r"the result is saved at (\S+\.png)", err)
    assert saved, err
    assert Path(saved.group(1)).parent == tmp_path / "cache" / "portrait-stylize" / "results"
    assert Image.open(saved.group(1)).size == (32, 21)
    assert len([line for line in err.splitlines() if line.strip()]) == 1
