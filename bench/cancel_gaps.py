"""How long a job can go without asking its cancel flag (issue 14: cancel within 2 s).

For each size, one job of one scale and one iteration runs with a flag that records the time
of every check and is never set: the longest gap between two checks (or from the job's start or
to its end) is the longest a cancel or a vanished client can wait for the engine to notice. Two
kinds of job: Crowson's exact method (face weights 0, every operation checked, never banded)
and the default face weights (large convolutions also in bands). Each is also run without a
flag, the baseline of its time ratio (what asking and banding cost).

Run ``python bench/cancel_gaps.py [SIZE ...]`` (default 512 1024); rows of other sizes are kept
from the last runs. Results: a section of bench/RESULTS.md and bench/results/cancel-gaps.json.
CPU, seeded random weights.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.engine import stylize  # noqa: E402
from backend.models.bundle import ModelBundle  # noqa: E402
from backend.weights import WeightsConfig  # noqa: E402
from bench.report import append_section, write_json  # noqa: E402
from shared.options import Options  # noqa: E402

TERMS = {"exact": {"face_weight": 0.0, "mesh_weight": 0.0}, "faces": {}}


class RecordingFlag:
    """Never set; remembers when it was asked and which operation came next."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.in_backward: list[bool] = []

    def __call__(self) -> bool:
        self.times.append(time.perf_counter())
        self.in_backward.append(torch._C._current_autograd_node() is not None)
        return False


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def one(models: ModelBundle, side: int, terms: str) -> dict:
    rng = np.random.default_rng(0)
    content = (rng.random((side * 3 // 4, side, 3)) * 255).astype(np.uint8)
    style = (rng.random((256, 256, 3)) * 255).astype(np.uint8)
    options = Options(min_scale=side, end_scale=side, initial_iterations=1, iterations=1,
                      **TERMS[terms])
    flag = RecordingFlag()
    started = time.perf_counter()
    stylize(content, [style], options=options, cancel=flag, models=models)
    asked_s = time.perf_counter() - started
    stamps = np.array([started, *flag.times, time.perf_counter()])
    gaps = np.diff(stamps)
    worst = int(np.argmax(gaps))
    started = time.perf_counter()
    stylize(content, [style], options=options, models=models)
    baseline_s = time.perf_counter() - started
    return {"side": side, "terms": terms, "checks": len(flag.times),
            "worst_gap_s": round(float(gaps[worst]), 3),
            "worst_gap_in": "backward" if 0 < worst <= len(flag.in_backward)
            and flag.in_backward[worst - 1] else "forward or set-up",
            "median_gap_ms": round(float(np.median(gaps)) * 1000, 2),
            "with_flag_s": round(asked_s, 2), "without_flag_s": round(baseline_s, 2),
            "time_ratio": round(asked_s / baseline_s, 3), "load_average": load_average()}


def main() -> None:
    sides = [int(arg) for arg in sys.argv[1:]] or [512, 1024]
    models = ModelBundle("cpu", WeightsConfig(allow_random=True))
    one(models, 64, "faces")  # loads every model the runs use
    rows = [one(models, side, terms) for side in sides for terms in TERMS]
    stored = Path(__file__).resolve().parent / "results" / "cancel-gaps.json"
    if stored.exists():
        rows += [row for row in json.loads(stored.read_text())["runs"] if row["side"] not in sides]
    rows.sort(key=lambda row: (row["side"], row["terms"]))
    write_json("cancel-gaps", {"runs": rows})
    table = ["| size | terms | checks | worst gap (in) | median gap | time with / without "
             "flag | ratio | load |", "|---|---|---|---|---|---|---|---|"]
    table += [f"| {r['side']} px | {r['terms']} | {r['checks']} | {r['worst_gap_s']:.2f} s "
              f"({r['worst_gap_in']}) | {r['median_gap_ms']:.2f} ms | {r['with_flag_s']:.1f} / "
              f"{r['without_flag_s']:.1f} s | {r['time_ratio']:.2f} | {r['load_average']:.1f} |"
              for r in rows]
    append_section("Cancel checks inside a job (issue 14)",
                   "CPU, seeded random weights; one scale, one iteration; exact: face weights "
                   "0 (every operation asks, nothing banded); faces: default face weights "
                   "(convolutions over 8 G multiply-adds in bands)", table)
    print("\n".join(table))


if __name__ == "__main__":
    main()
