"""Tiled steps against untiled ones: milliseconds per iteration and peak RSS, same image.

    python bench/tiles.py [--size 1024] [--tile-size 512] [--iterations 3] [--threads 2]

Each mode runs in its own process (peak RSS is per process). Style only, content astronaut
upscaled to ``--size``, style Starry Night, seeded random VGG-19 weights (speed and memory do
not depend on the weights' values). The tiling-overhead ratio of issue 11 is ms per iteration
tiled ÷ untiled at the same size (so per megapixel too).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.engine import stylize  # noqa: E402
from backend.models.bundle import ModelBundle  # noqa: E402
from backend.weights import WeightsConfig  # noqa: E402
from bench.report import append_section, write_json  # noqa: E402
from bench.speed import WARMUP, peak_rss_mb  # noqa: E402
from shared.options import Options  # noqa: E402
from tests.photos import photo  # noqa: E402


def run_one(size: int, tile_size: int, iterations: int) -> dict:
    """One stylization in this process: ms per timed iteration and the process's peak RSS."""
    warnings.simplefilter("ignore")
    models = ModelBundle("cpu", WeightsConfig(allow_random=True))
    options = Options(min_scale=size, end_scale=size, face_weight=0, mesh_weight=0,
                      initial_iterations=iterations + WARMUP, tile_size=tile_size)
    stamps: list[float] = []
    stylize(photo("astronaut"), [photo("starry_night")], options=options, models=models,
            on_progress=lambda event: stamps.append(time.perf_counter()))
    timed = stamps[WARMUP:]
    return {"tile_size": tile_size,
            "ms_per_iteration": round((timed[-1] - timed[0]) / (len(timed) - 1) * 1000, 1),
            "peak_rss_mb": round(peak_rss_mb())}


def in_child(args: argparse.Namespace, tile_size: int) -> dict:
    command = [sys.executable, __file__, "--child", str(tile_size), "--size", str(args.size),
               "--iterations", str(args.iterations), "--threads", str(args.threads)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--tile-size", type=int, default=512)
    parser.add_argument("--iterations", type=int, default=3, help="timed iterations")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.child is not None:
        print(json.dumps(run_one(args.size, args.child, args.iterations)))
        return
    untiled, tiled = in_child(args, 0), in_child(args, args.tile_size)
    ratio = round(tiled["ms_per_iteration"] / untiled["ms_per_iteration"], 2)
    load = round(os.getloadavg()[0], 2)
    write_json("tiles-cpu", {"size": args.size, "rows": [untiled, tiled],
                             "overhead_ratio": ratio, "load_average": load,
                             "weights": "seeded random VGG-19"})
    table = ["| tile_size | ms / iteration | peak RSS (MB) |", "|---|---|---|"]
    table += [f"| {r['tile_size'] or 'untiled'} | {r['ms_per_iteration']} | "
              f"{r['peak_rss_mb']} |" for r in (untiled, tiled)]
    run = (f"Content astronaut upscaled to {args.size}x{args.size}, style Starry Night, style "
           f"only, {args.iterations} timed iterations after {WARMUP} warm-up (the tiled run's "
           f"first pass of the scale inside the warm-up), {args.threads} threads, seeded "
           "random VGG-19")
    settings = "; ".join([run, f"tiled ÷ untiled ms per iteration {ratio}",
                          f"load average {load:.1f} at the end (a shared CPU: other processes "
                          "inflate the times)"])
    append_section(f"Tiled steps ({args.size} px, CPU)", settings, table)


if __name__ == "__main__":
    main()
