"""bench/gpu.py's smoke mode: the GPU script's every part runs on the CPU at tiny sizes, so a
GPU machine's one run is not the first."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bench import gpu


def test_the_smoke_run_writes_every_figure_under_out(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     one_torch_thread: None) -> None:
    monkeypatch.setenv("OUT", str(tmp_path))
    gpu.main(["--smoke"])
    report = json.loads((tmp_path / "gpu.json").read_text())
    assert report["errors"] == {}
    speed = {(r["size"], r["precision"]): r for r in report["speed"]}
    assert set(speed) == {(s, p) for s in gpu.SMOKE["sizes"] for p in gpu.PRECISIONS}
    for (_, precision), row in speed.items():
        assert row["ms_per_iteration"] > 0
        if precision == "fp32":
            assert row["psnr_vs_fp32_db"] is None  # identical to itself
        else:
            assert row["psnr_vs_fp32_db"] > 40
    assert [r["precision"] for r in report["ladder"]] == list(gpu.PRECISIONS)
    assert [(r["precision"], r["ran_as"]) for r in report["default_jobs"]] == [
        ("fp32", "float32"), ("auto", "float32")]
    assert [r["tile_size"] for r in report["tiled"]["rows"]] == [gpu.SMOKE["tile_size"],
                                                                 "untiled"]
    table = (tmp_path / "gpu.md").read_text()
    assert table.startswith("| size | precision | ms / iteration |")
    assert "| end_scale 48, faces on | auto (float32) |" in table


def test_psnr_is_none_for_equal_images_and_20_db_for_a_tenth_off() -> None:
    image = np.full((4, 4, 3), 0.5, np.float32)
    assert gpu.psnr(image, image) is None
    assert gpu.psnr(image, image + 0.1) == pytest.approx(20.0, abs=0.01)
