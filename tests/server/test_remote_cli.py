"""``portrait-stylize submit``, ``status`` and ``stop`` against real servers."""

import json
import signal
import subprocess
import sys

from PIL import Image

from backend.cli.main import EXIT_CANCELLED, main
from tests.photos import photo
from tests.shared.messages import free_endpoint

TINY_FLAGS = ["--min-scale", "32", "--end-scale", "32", "--initial-iterations", "1",
              "--iterations", "1", "--face-weight", "0", "--mesh-weight", "0"]


def test_submit_writes_the_result_and_its_metadata(server, tmp_path, capsys):
    photo("astronaut").resize((48, 32)).save(tmp_path / "content.png")
    photo("brick").resize((32, 32)).save(tmp_path / "style.png")
    out, metadata = tmp_path / "out.png", tmp_path / "out.json"
    code = main(["submit", str(tmp_path / "content.png"), str(tmp_path / "style.png"),
                 "-o", str(out), "--metadata", str(metadata), "--endpoint", server.endpoint,
                 *TINY_FLAGS])
    assert code == 0
    assert Image.open(out).size == (32, 21)  # long side at end_scale 32
    assert json.loads(metadata.read_text())["options"]["end_scale"] == 32
    assert f"wrote {out}" in capsys.readouterr().err


def test_submit_without_a_server_says_so(tmp_path, capsys):
    photo("brick").resize((32, 32)).save(tmp_path / "image.png")
    code = main(["submit", str(tmp_path / "image.png"), str(tmp_path / "image.png"),
                 "--endpoint", free_endpoint(), "--timeout", "0.5", *TINY_FLAGS])
    assert code == 1
    assert "no backend answered" in capsys.readouterr().err


def test_status_describes_the_server_and_stop_stops_it(start_server, capsys):
    server = start_server("--lazy")
    server.wait_healthy()
    assert main(["status", "--endpoint", server.endpoint]) == 0
    assert "device cpu" in capsys.readouterr().out
    assert main(["status", "--json", "--endpoint", server.endpoint]) == 0
    assert json.loads(capsys.readouterr().out)["queue_length"] == 0
    assert main(["stop", "--endpoint", server.endpoint]) == 0
    assert server.process.wait(timeout=60) == 0
    assert main(["status", "--endpoint", server.endpoint, "--timeout", "0.5"]) == 1


def test_submit_closes_with_the_job_and_the_random_weights_as_stylize_does(server, tmp_path,
                                                                          capsys):
    photo("brick").resize((32, 32)).save(tmp_path / "image.png")
    out = tmp_path / "out.png"
    assert main(["submit", str(tmp_path / "image.png"), str(tmp_path / "image.png"), "-q",
                 "-o", str(out), "--endpoint", server.endpoint, *TINY_FLAGS]) == 0
    closing = capsys.readouterr().err.strip().splitlines()[-1]
    assert closing.startswith(f"wrote {out} (32x32, job ")
    assert "SEEDED RANDOM WEIGHTS for" in closing and "vgg19" in closing


def test_ctrl_c_during_submit_cancels_the_job_and_says_cancelled(server, tmp_path):
    # Ctrl-C had closed with "the job was cancelled at a client's request", as if another
    # client had done it. A job far too long to finish first is interrupted once submitted.
    photo("brick").resize((32, 32)).save(tmp_path / "image.png")
    long_run = [flag if flag != "1" else "100000" for flag in TINY_FLAGS]
    process = subprocess.Popen(
        [sys.executable, "-m", "backend", "submit", str(tmp_path / "image.png"),
         str(tmp_path / "image.png"), "-q", "-o", str(tmp_path / "out.png"),
         "--endpoint", server.endpoint, *long_run], stderr=subprocess.PIPE, text=True,
        # A shell's background job starts with SIGINT ignored, and Python then keeps it so;
        # a terminal's Ctrl-C reaches a process whose SIGINT is at its default.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        lines = []
        for line in process.stderr:  # the job is on the server once this line is out
            lines.append(line)
            if "submitted job" in line:
                break
        process.send_signal(signal.SIGINT)
        rest = process.communicate(timeout=120)[1]
    finally:
        process.kill()
    lines += rest.splitlines()
    assert process.returncode == EXIT_CANCELLED
    assert [line for line in lines if line.strip()][-1].strip() == "portrait-stylize: cancelled"
    assert not (tmp_path / "out.png").exists()
