"""The plug-in's pixel path in a real Krita without a window (``kritarunner``): layers of every
depth, with linear and sRGB profiles, reach the backend as sRGB-encoded RGBA and come back into
the layer's own colour space unchanged."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.krita.harness import REPO

pytestmark = pytest.mark.krita

DTYPES = {"u8": np.uint8, "u16": np.uint16, "f32": np.float32}


@pytest.fixture(scope="module")
def report(krita, tmp_path_factory):
    out = tmp_path_factory.mktemp("colour")
    script_dir = Path(__file__).parent
    env = krita.environment({"PS_TEST_OUT": str(out), "QT_QPA_PLATFORM": "offscreen",
                             "PYTHONPATH": f"{script_dir}:{REPO}"})
    done = subprocess.run(["kritarunner", "-s", "colour_roundtrip", "-f", "main"], env=env,
                          capture_output=True, text=True, timeout=300)
    path = out / "colour.json"
    # kritarunner exits 0 even when the script fails: the report, written last, is the marker.
    assert path.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    found = json.loads(path.read_text())
    assert "exception" not in found, found["exception"]
    return found["cases"]


def _sent(case):
    return np.frombuffer(bytes.fromhex(case["sent"]), DTYPES[case["dtype"]]).reshape(8, 16, 4)


def _expected():
    """The test pattern as sRGB RGBA in [0, 1]."""
    y, x = np.mgrid[0:8, 0:16]
    return np.stack([((x * 8 + y * 8) % 256) / 255, ((y * 32) % 256) / 255,
                     ((x * 16) % 256) / 255, (55 + (x * 200) // 15) / 255], axis=-1)


@pytest.mark.parametrize("depth, dtype, scale", [("U8", "u8", 255), ("U16", "u16", 65535),
                                                 ("F16", "f32", 1.0), ("F32", "f32", 1.0)])
def test_layers_reach_the_backend_as_srgb_rgba(report, depth, dtype, scale):
    case = report[depth]
    assert (case["depth"], case["dtype"], case["channels"]) == (depth, dtype, 4)
    sent = _sent(case).astype(float) / scale
    np.testing.assert_allclose(sent, _expected(), atol=1.5 / 255)


@pytest.mark.parametrize("depth", ["U8", "U16", "F16", "F32"])
def test_pixels_come_back_into_the_layers_colour_space(report, depth):
    case = report[depth]
    dtype = {"U8": np.uint8, "U16": np.uint16, "F16": np.float16, "F32": np.float32}[depth]
    back = np.frombuffer(bytes.fromhex(case["back"]), dtype).astype(float)
    original = np.frombuffer(bytes.fromhex(case["original"]), dtype).astype(float)
    full = {"U8": 255, "U16": 65535}.get(depth, 1.0)
    np.testing.assert_allclose(back, original, atol=full * 1e-3)
