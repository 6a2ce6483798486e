"""MediaPipe's routine C++ notices stay off stderr; its errors and warnings do not."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from backend.models.mediapipe_logs import quiet_mediapipe

ROOT = Path(__file__).resolve().parents[2]
BOTH_GRAPHS = """
import numpy as np
from backend.models.face_keypoints import FaceKeypointJudge
from backend.models.segmentation import PortraitSegmenter
frame = np.zeros((64, 64, 3), np.uint8)
for model in (PortraitSegmenter(), FaceKeypointJudge()):
    (model.matte if hasattr(model, "matte") else model.keypoints)(frame)
    model.close()
"""
# A real graph opens inside a window that also holds lines the filter must keep.
ERRORS_AROUND_A_GRAPH = """
import os
from backend.models.mediapipe_logs import quiet_mediapipe
from backend.models.segmentation import PortraitSegmenter
with quiet_mediapipe():
    os.write(2, b"E1130 04:30:00.000001 7 calculator_graph.cc:1] a real error\\n")
    PortraitSegmenter().close()
    os.write(2, b"WARNING: a real warning\\n")
"""
XNNPACK = b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n"
ABSL = (b"WARNING: All log messages before absl::InitializeLog() is called are written to"
        b" STDERR\n")
FEEDBACK = (b"W0000 00:00:1796012865.087628   31269 inference_feedback_manager.cc:114] Feedback"
            b" manager requires a model with a single signature inference. Disabling support"
            b" for feedback tensors.\n")


def run(script: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_running_both_graphs_prints_nothing_on_stderr():
    done = run(BOTH_GRAPHS)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_errors_written_while_a_graph_opens_still_print_in_order():
    done = run(ERRORS_AROUND_A_GRAPH)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ("E1130 04:30:00.000001 7 calculator_graph.cc:1] a real error\n"
                           "WARNING: a real warning\n")


def test_only_the_routine_notices_are_dropped(capfd):
    kept = [b"E0000 00:00:1.000000 1 inference_calculator.cc:9] Could not open model\n",
            b"INFO: Created TensorFlow Lite XNNPACK delegate for GPU.\n",  # not the CPU notice
            FEEDBACK.replace(b"W0000", b"E0000"),  # the same text as an error
            b"WARNING: " + ABSL,
            b"no newline at the end"]
    with quiet_mediapipe():
        for line in (XNNPACK, kept[0], ABSL, kept[1], FEEDBACK, kept[2], kept[3], kept[4]):
            os.write(2, line)
    assert capfd.readouterr().err == b"".join(kept).decode()


def test_another_threads_writes_are_delayed_not_lost(capfd):
    with quiet_mediapipe():
        writer = threading.Thread(target=os.write, args=(2, b"from another thread\n"))
        writer.start()
        writer.join()
        assert capfd.readouterr().err == ""  # still held in the window
    assert capfd.readouterr().err == "from another thread\n"


def test_stderr_is_restored_and_kept_lines_written_when_the_block_raises(capfd):
    real_stderr = os.fstat(2)
    with pytest.raises(RuntimeError), quiet_mediapipe():
        os.write(2, XNNPACK + b"an error before the failure\n")
        raise RuntimeError("graph failed")
    assert (os.fstat(2).st_dev, os.fstat(2).st_ino) == (real_stderr.st_dev, real_stderr.st_ino)
    assert capfd.readouterr().err == "an error before the failure\n"
