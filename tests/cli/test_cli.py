"""The ``portrait-stylize`` command line: exit codes, one-line errors, real tiny runs.

A few tests start real processes (``python -m backend``) to see what a user sees; the rest call
``main()`` in this process, which returns the same exit codes without paying for a fresh
interpreter and torch import each time.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

from backend.cli.main import EXIT_FAILED, EXIT_MISSING_WEIGHTS, EXIT_USAGE, main
from backend.weights import REGISTRY
from backend.weights.registry import ENV_CACHE
from shared.job_time import duration_text, rough_seconds
from shared.options import Options
from shared.schedule import scale_plan
from tests.photos import photo

TINY_RUN = ["--allow-random-weights", "--face-weight", "0", "--mesh-weight", "0",
            "--end-scale", "64", "--min-scale", "64", "--initial-iterations", "3", "-q",
            "--threads", "1"]
CONTENT_SIZE = (96, 64)
OUTPUT_SIZE = (64, round(64 * 64 / 96))

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def weights_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty weights cache, for this process and the ones it starts."""
    folder = tmp_path / "weights"
    folder.mkdir()
    monkeypatch.setenv(ENV_CACHE, str(folder))
    return folder


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("images")
    photo("astronaut").resize(CONTENT_SIZE, Image.LANCZOS).save(folder / "content.png")
    photo("gravel").resize((64, 64), Image.LANCZOS).save(folder / "style.png")
    return folder / "content.png", folder / "style.png"


def run_cli(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    """``python -m backend ARGS`` in a fresh process (on one torch thread, see conftest)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "backend", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def call_main(*args: str | Path) -> int:
    """``main()`` in this process; argparse's own errors exit, and count as returns here."""
    try:
        return main([str(a) for a in args])
    except SystemExit as exit_:
        return exit_.code


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


def test_unparsable_option_value_exits_2_with_one_line_naming_it(images: tuple[Path, Path],
                                                                 tmp_path: Path) -> None:
    done = run_cli("stylize", *images, "--content-weight", "abc", cwd=tmp_path)
    assert done.returncode == EXIT_USAGE
    lines = error_lines(done.stderr)
    assert len(lines) == 1 and "--content-weight" in lines[0] and "'abc'" in lines[0]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(("flags", "named"), [
    (["--content-weight", "-1"], "--content-weight: "),
    (["--tv-weight", "nan"], "--tv-weight: "),
    (["--iterations", "0"], "--iterations: "),
    (["--init", "noise"], "--init"),
    (["--face-box", "1,2,3"], "--face-box"),
    (["--face-box", "5,5,1,1"], "--face-box: "),
    (["--face-layers", "0,99"], "--face-layers: "),
    (["--end-scale", "9000"], "--end-scale: 9000 is outside [0, 8192]: use at most 8192, or full "
                              "or 0 for the content's own size"),
    (["--background-colour", "#12345"], "--background-colour"),
    (["--style-weights", "1", "2"], "--style-weights"),
    (["--bits", "12"], "--bits"),
])
def test_each_bad_flag_exits_2_naming_the_option(images: tuple[Path, Path], weights_dir: Path,
                                                 capsys: pytest.CaptureFixture, flags: list[str],
                                                 named: str) -> None:
    assert call_main("stylize", *images, *flags) == EXIT_USAGE
    lines = error_lines(capsys.readouterr().err)
    assert len(lines) == 1 and named in lines[0]


@pytest.mark.parametrize("command", ["submit", "stylize"])
def test_a_flag_the_command_does_not_take_is_named_with_the_command(
        images: tuple[Path, Path], capsys: pytest.CaptureFixture, command: str) -> None:
    flag = "--threads" if command == "submit" else "--endpoint"  # serve's, not these
    assert call_main(command, *images, flag, "1") == EXIT_USAGE
    lines = error_lines(capsys.readouterr().err)
    assert lines == [f"portrait-stylize {command}: error: unrecognized arguments: {flag} 1 "
                     f"(see portrait-stylize {command} --help)"]


@pytest.mark.parametrize("name", ["missing.png", "garbage.png"])
def test_unreadable_image_exits_2_naming_the_file(images: tuple[Path, Path], tmp_path: Path,
                                                  weights_dir: Path,
                                                  capsys: pytest.CaptureFixture,
                                                  name: str) -> None:
    path = tmp_path / name
    if name == "garbage.png":
        path.write_bytes(b"not a picture")
    assert call_main("stylize", path, images[1], *TINY_RUN) == EXIT_USAGE
    lines = error_lines(capsys.readouterr().err)
    assert len(lines) == 1 and str(path) in lines[0]


def test_missing_weights_exit_3_and_say_how_to_fetch(images: tuple[Path, Path],
                                                     weights_dir: Path, tmp_path: Path) -> None:
    done = run_cli("stylize", *images, "-q", cwd=tmp_path)
    assert done.returncode == EXIT_MISSING_WEIGHTS
    assert "vgg19-dcbb9e9d.pth" in done.stderr
    assert "weights fetch vgg19" in done.stderr
    assert str(weights_dir) in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out.png").exists()


def test_tiny_run_writes_a_16_bit_tiff_and_warns_about_random_weights(
        images: tuple[Path, Path], weights_dir: Path, tmp_path: Path) -> None:
    done = run_cli("stylize", *images, *TINY_RUN, "-o", "x.tif", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    array = tifffile.imread(tmp_path / "x.tif")
    assert array.dtype == np.uint16
    assert array.shape == (OUTPUT_SIZE[1], OUTPUT_SIZE[0], 3)
    assert "*** WARNING: USING SEEDED RANDOM WEIGHTS FOR VGG19" in done.stderr
    assert "SEEDED RANDOM WEIGHTS for vgg19" in done.stderr  # repeated in the closing line


def test_tiny_run_writes_a_png_of_the_output_size_and_metadata(
        images: tuple[Path, Path], weights_dir: Path, tmp_path: Path) -> None:
    output, metadata = tmp_path / "out.png", tmp_path / "meta.json"
    assert call_main("stylize", *images, *TINY_RUN, "-o", output, "--metadata", metadata) == 0
    with Image.open(output) as image:
        assert image.size == OUTPUT_SIZE and image.mode == "RGB"
    recorded = json.loads(metadata.read_text())
    assert recorded["options"]["end_scale"] == 64
    assert recorded["random_weights"] == ["vgg19"]


def test_a_result_smaller_than_the_content_is_said_on_the_closing_line(
        images: tuple[Path, Path], weights_dir: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert call_main("stylize", *images, *TINY_RUN, "-o", tmp_path / "out.png") == 0
    closing = capsys.readouterr().err.splitlines()[-1]
    assert closing.startswith(f"wrote {tmp_path / 'out.png'} (64x43; computed at 64 px, "
                              "smaller than the 96x64 content: --end-scale full computes at "
                              "its own size)")


def test_the_plan_line_times_the_job_on_the_threads_asked_for(
        images: tuple[Path, Path], weights_dir: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    # Left over from issue 15: the rough time assumed two free threads even with --threads 1.
    # The plan line comes before the models load, so a job without weights shows it and stops.
    options = Options(face_weight=0, mesh_weight=0, end_scale=64, min_scale=64,
                      initial_iterations=3000)
    for threads in (1, 2):
        assert call_main("stylize", *images, "--face-weight", "0", "--mesh-weight", "0",
                         "--end-scale", "64", "--min-scale", "64", "--initial-iterations",
                         "3000", "--threads", threads, "-o", tmp_path / "out.png"
                         ) == EXIT_MISSING_WEIGHTS
        seconds = rough_seconds(scale_plan(options, CONTENT_SIZE), "cpu", faces=False,
                                threads=threads)
        plan_line = capsys.readouterr().err.splitlines()[0]
        assert plan_line.endswith(f"; {duration_text(seconds)} on this CPU, {threads} "
                                  f"thread{'s' if threads > 1 else ''} (rough)")
    assert duration_text(seconds) != duration_text(seconds * 1.8)  # the test can tell them


@pytest.mark.parametrize(("content", "said"), [
    (lambda: photo("astronaut").crop((100, 0, 356, 256)).resize((128, 128)),
     "(128x128; face terms on 1 face)"),
    (lambda: photo("brick").resize((128, 128)), "(128x128; no face found: face terms off)")])
def test_the_closing_line_says_what_the_face_terms_held(
        content, said: str, images: tuple[Path, Path], weights_dir: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    # A new user learned whether a face was found only from --metadata.
    content().save(tmp_path / "content.png")
    assert call_main("stylize", tmp_path / "content.png", images[1], "--allow-random-weights",
                     "--end-scale", "128", "--min-scale", "128", "--initial-iterations", "3",
                     "-q", "--threads", "1", "-o", tmp_path / "out.png") == 0
    closing = capsys.readouterr().err.splitlines()[-1]
    assert closing.startswith(f"wrote {tmp_path / 'out.png'} {said} (SEEDED RANDOM")


def test_end_scale_full_writes_the_contents_own_size_and_says_nothing_more(
        images: tuple[Path, Path], weights_dir: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "out.png"
    assert call_main("stylize", *images, *TINY_RUN, "--end-scale", "full", "-o", output) == 0
    with Image.open(output) as image:
        assert image.size == CONTENT_SIZE
    closing = capsys.readouterr().err.splitlines()[-1]
    assert closing.startswith(f"wrote {output} (96x64)")


def test_the_contents_own_size_above_the_limit_exits_with_one_line(
        images: tuple[Path, Path], weights_dir: Path, tmp_path: Path) -> None:
    wide = tmp_path / "wide.png"
    Image.new("RGB", (9000, 64), (128, 100, 90)).save(wide)
    done = run_cli("stylize", wide, images[1], *TINY_RUN, "--end-scale", "full", cwd=tmp_path)
    assert done.returncode != 0
    lines = error_lines(done.stderr)
    assert "use end_scale 8192 (--end-scale 8192)" in lines[-1]
    assert "Traceback" not in done.stderr and not (tmp_path / "out.png").exists()


def test_demo_stylizes_the_sample_portrait(weights_dir: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert call_main("demo", "--style", "brick", *TINY_RUN) == 0
    with Image.open(tmp_path / "demo-out.png") as image:
        assert image.size == (64, 64)


def test_weights_list_shows_every_entry_and_its_status(weights_dir: Path,
                                                       capsys: pytest.CaptureFixture) -> None:
    (weights_dir / REGISTRY["vgg19"].filename).write_bytes(b"x")
    (weights_dir / (REGISTRY["facenet-vggface2"].filename + ".part")).write_bytes(b"12345")
    assert call_main("weights", "list") == 0
    out = capsys.readouterr().out
    assert "vgg19: present" in out
    assert "facenet-vggface2: partial (5 bytes)" in out
    for entry in REGISTRY.values():
        assert entry.url in out and entry.sha256 in out and str(weights_dir / entry.filename) in out


def test_weights_verify_with_a_damaged_file_exits_1(weights_dir: Path,
                                                    capsys: pytest.CaptureFixture) -> None:
    damaged = weights_dir / REGISTRY["vgg19"].filename
    damaged.write_bytes(b"not the real checkpoint")
    assert call_main("weights", "verify", "vgg19") == EXIT_FAILED
    err = capsys.readouterr().err
    assert f"vgg19: BAD: {damaged}" in err


def test_weights_verify_with_a_missing_file_exits_1_saying_how_to_fetch(
        weights_dir: Path, capsys: pytest.CaptureFixture) -> None:
    assert call_main("weights", "verify", "facenet-vggface2") == EXIT_FAILED
    assert "weights fetch facenet-vggface2" in capsys.readouterr().err


def test_weights_fetch_of_an_unknown_name_lists_the_known_ones(
        weights_dir: Path, capsys: pytest.CaptureFixture) -> None:
    assert call_main("weights", "fetch", "resnet50") == EXIT_FAILED
    assert "known: vgg19, facenet-vggface2" in capsys.readouterr().err


def test_weights_fetch_url_needs_exactly_one_name(weights_dir: Path,
                                                  capsys: pytest.CaptureFixture) -> None:
    assert call_main("weights", "fetch", "--url", "http://127.0.0.1:1/x") == EXIT_USAGE
    assert "--url needs exactly one weights name" in capsys.readouterr().err


def test_weights_fetch_from_an_unreachable_url_exits_1_with_one_line(
        weights_dir: Path, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/vgg19-dcbb9e9d.pth"
    done = run_cli("weights", "fetch", "vgg19", "--url", url, cwd=tmp_path)
    assert done.returncode == EXIT_FAILED
    lines = error_lines(done.stderr)
    assert len(lines) == 1 and lines[0].startswith("vgg19: FAILED: could not download vgg19 from")
    assert url in lines[0]
    assert "Traceback" not in done.stderr
    assert not (weights_dir / "vgg19-dcbb9e9d.pth").exists()
