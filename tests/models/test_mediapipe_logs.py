"""MediaPipe's routine C++ notices stay off stderr; its errors do not."""

from __future__ import annotations

import ctypes
import importlib.util
import subprocess
import sys
from pathlib import Path

from backend.models.mediapipe_logs import (
    THRESHOLDS,
    _load_address,
    _symbol_values,
    quiet_mediapipe,
)

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


def test_running_both_graphs_prints_nothing_on_stderr():
    done = subprocess.run([sys.executable, "-c", BOTH_GRAPHS], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_errors_still_print():
    assert quiet_mediapipe()
    path = Path(importlib.util.find_spec("mediapipe.python._framework_bindings").origin).resolve()
    values = _symbol_values(path, [name for name, _, _ in THRESHOLDS])
    base = _load_address(path)
    # absl: ERROR (2) and above print; TFLite: WARNING (2) and above.
    assert [ctypes.c_int.from_address(base + values[name]).value
            for name, _, _ in THRESHOLDS] == [2, 2]
