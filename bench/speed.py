"""Engine speed: milliseconds per iteration at several sizes, model-load time and peak memory.

    python bench/speed.py [--device auto] [--sizes 128 256 362 512] [--iterations 20]
                          [--faces]
    python bench/speed.py --reference REF [--sizes 256 512] [--iterations 5] [--rounds 2]
                          [--threads N] [--clock wall|cpu]

Style-only by default (face weights 0); ``--faces`` adds the face terms at their defaults.
Uses real VGG-19 weights when they are in the cache, otherwise seeded random ones (the table
says which): speed does not depend on the weights' values.

``--reference REF`` (a checkout of Crowson's style-transfer-pytorch at 1107fe6, outside this
repository) times the engine beside the reference in one process, on one seeded VGG-19
checkpoint, on the CPU, in interleaved rounds (bench/speed_reference.py).
"""

from __future__ import annotations

import argparse
import os
import resource
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
from shared.options import Options  # noqa: E402
from tests.photos import photo  # noqa: E402

WARMUP = 3
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
CLOCK_WORDS = {"wall": "elapsed time", "cpu": "CPU time (`--clock cpu`)"}


def add_timing_flags(parser: argparse.ArgumentParser) -> None:
    """``--threads`` (torch's intra-op threads; 0 leaves torch's own) and ``--clock`` (wall or
    CPU time), shared by the speed benchmarks."""
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's own)")
    parser.add_argument("--clock", choices=CLOCKS, default="wall",
                        help="wall: elapsed time; cpu: CPU time (with --threads 1, what a "
                        "quiet machine would show; robust to other processes' load)")
"""``wall``: elapsed time; ``cpu``: this process's CPU time, which on one thread is what a quiet
machine's elapsed time would be, and which other processes' load changes far less."""


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(models: ModelBundle, size: int, iterations: int, faces: bool,
            clock: str = "wall", precision: str = "auto", preset: str = "none") -> dict:
    stamps: list[float] = []
    options = Options(min_scale=size, end_scale=size, initial_iterations=iterations + WARMUP,
                      precision=precision, preset=preset,
                      **({} if faces else {"face_weight": 0, "mesh_weight": 0}))
    if models.device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()

    def on_progress(event) -> None:
        if models.device.type == "cuda":
            torch.cuda.synchronize()
        stamps.append(CLOCKS[clock]())

    stylize(photo("astronaut"), [photo("starry_night")], options=options, models=models,
            on_progress=on_progress)
    timed = stamps[WARMUP:]
    row = {"size": size, "iterations": len(timed) - 1,
           "ms_per_iteration": round((timed[-1] - timed[0]) / (len(timed) - 1) * 1000, 1),
           "peak_rss_mb": round(peak_rss_mb())}
    if models.device.type == "cuda":
        row["peak_gpu_mb"] = round(torch.cuda.max_memory_allocated() / 2**20)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--sizes", type=int, nargs="+",
                        help="long sides in px (default 128 256 362 512; 256 512 with "
                        "--reference)")
    parser.add_argument("--iterations", type=int,
                        help="timed iterations per run (default 20; 5 with --reference)")
    parser.add_argument("--faces", action="store_true", help="face terms on (defaults)")
    parser.add_argument("--reference", type=Path, help="checkout of crowsonkb/style-transfer-"
                        "pytorch at 1107fe6: time the engine against it, interleaved")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds (--reference)")
    add_timing_flags(parser)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.reference:
        from bench.speed_reference import compare
        compare(args.reference, args.sizes or [256, 512], args.iterations or 5, args.rounds,
                args.clock)
        return
    args.sizes = args.sizes or [128, 256, 362, 512]
    args.iterations = args.iterations or 20
    models = ModelBundle(args.device, WeightsConfig(allow_random=True))
    started = time.perf_counter()
    models.vgg("max")
    if args.faces:
        models.facenet(Options().face_layers)
        models.facemesh()
        models.face_detector()
    load_s = time.perf_counter() - started
    rows = [measure(models, size, args.iterations, args.faces, args.clock)
            for size in args.sizes]
    weights = ", ".join(f"{k}: {v}" for k, v in models.weights_used.items())
    label = "with face terms" if args.faces else "style only"
    payload = {"device": str(models.device), "weights": models.weights_used,
               "model_load_s": round(load_s, 2), "faces": args.faces, "rows": rows}
    write_json(f"speed-{models.device.type}{'-faces' if args.faces else ''}", payload)
    gpu = models.device.type == "cuda"
    table = ["| size (long side) | ms / iteration | peak RSS (MB) |" + (
             " peak GPU (MB) |" if gpu else ""), "|---|---|---|" + ("---|" if gpu else "")]
    table += [f"| {r['size']} | {r['ms_per_iteration']} | {r['peak_rss_mb']} |" + (
              f" {r['peak_gpu_mb']} |" if gpu else "") for r in rows]
    load = os.getloadavg()[0]
    payload["load_average"] = round(load, 2)
    settings = (f"Device {models.device}, {label}, content astronaut 512x512, style Starry "
                f"Night; {args.iterations} timed iterations after {WARMUP} warm-up; model load "
                f"{load_s:.2f} s; weights: {weights}; {torch.get_num_threads()} thread(s), "
                f"{CLOCK_WORDS[args.clock]}; tile size auto (512 px on a CPU); load average "
                f"{load:.1f} at the end (on a shared CPU, other processes inflate elapsed "
                f"times); `python bench/speed.py {' '.join(sys.argv[1:])}`")
    append_section(f"Engine speed ({models.device.type}, {label})", settings, table)


if __name__ == "__main__":
    main()
