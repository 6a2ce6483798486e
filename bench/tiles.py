"""Tiled steps against untiled ones: time per iteration and peak memory (issue 11).

    python bench/tiles.py overhead [--size 1024] [--tile-size 512] [--pairs 2] [--device cpu]
    python bench/tiles.py memory [--full [--keep-untiled]] [--device cpu]
    python bench/tiles.py schedule [--device cpu]
    python bench/tiles.py settle [--size 256] [--iterations 40] [--device cpu]

``overhead``: one process alternates an untiled and a tiled iteration (gradient, Adam step,
clamp) on the same image, ``--pairs`` times after one warm-up each, so a shared CPU's load
weighs on both alike; the ratio is of the medians (same image, so per megapixel too).
``memory``: the peak of one stylization per process (``ru_maxrss`` on the CPU,
``torch.cuda.max_memory_allocated`` on CUDA) for a 512-px untiled run, a 2048×1536 run at
full resolution in the default tiles, and the same untiled (the baseline; refused in one line
when the estimate does not fit). ``schedule``: seconds for a 3000×2000 photo at full
resolution with the default ladder, computed from ms per iteration per megapixel measured on
the tiled step at the top rung (tiled time is linear in the pixels).

Content astronaut, style Starry Night, face terms off, seeded random VGG-19 weights (time and
memory do not depend on the weights' values). On CUDA every timestamp follows a
``torch.cuda.synchronize()``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.engine import stylize  # noqa: E402
from backend.engine.events import OutOfMemory  # noqa: E402
from backend.engine.images import prepare  # noqa: E402
from backend.engine.losses import ContentLoss, StyleLoss, TVLoss  # noqa: E402
from backend.engine.memory import (  # noqa: E402
    CPU_MEMORY_BUDGET,
    CPU_SMALLEST_AUTO_TILE,
    default_tile_size,
    estimate_peak_bytes,
)
from backend.engine.stylize import _gradient  # noqa: E402
from backend.engine.terms import ScaleInputs  # noqa: E402
from backend.engine.tiled_step import TiledStep  # noqa: E402
from backend.engine.tiles import MovingGrid  # noqa: E402
from backend.models.bundle import ModelBundle  # noqa: E402
from backend.weights import WeightsConfig  # noqa: E402
from bench.report import append_section, write_json  # noqa: E402
from shared.options import Options  # noqa: E402
from shared.schedule import scale_plan  # noqa: E402
from tests.photos import photo  # noqa: E402

WEIGHTS = "seeded random VGG-19"
PHOTO = (3000, 2000)


def _sync(device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter()


def _models(device: str) -> ModelBundle:
    warnings.simplefilter("ignore")
    return ModelBundle(device, WeightsConfig(allow_random=True))


def _load() -> float:
    return round(os.getloadavg()[0], 1)


def step_times(size: int, tile_size: int, pairs: int, device: str) -> dict:
    """Seconds per iteration untiled and tiled at ``size`` px, alternating (see the module)."""
    models = _models(device)
    model, dev = models.vgg(), models.device
    options = Options(face_weight=0, mesh_weight=0, tile_size=tile_size)
    content = photo("astronaut").resize((size, size), Image.LANCZOS)
    content_image = prepare(content).tensor((size, size)).to(dev)
    terms = [ContentLoss(options.content_weight, device=dev),
             StyleLoss([prepare(photo("starry_night"))], [1.0], options, dev),
             TVLoss(options.tv_weight, dev)]
    layers = sorted({layer for term in terms for layer in term.vgg_layers})
    grid = MovingGrid(tile_size)
    untiled_inputs = ScaleInputs(size, content_image, model)
    tiled_inputs = ScaleInputs(size, content_image, model, grid.still((size, size)))
    with torch.no_grad():
        untiled_prepared = [(t, t.prepare(untiled_inputs)) for t in terms]
        tiled_prepared = [(t, t.prepare(tiled_inputs)) for t in terms]
    images = {mode: content_image.clone().requires_grad_() for mode in ("untiled", "tiled")}
    optimizers = {mode: torch.optim.Adam([image], lr=0.02) for mode, image in images.items()}
    tiled = TiledStep(model, tiled_prepared, grid, images["tiled"])
    steps = {"untiled": lambda image: _gradient(model, layers, untiled_prepared, image, None),
             "tiled": lambda image: _gradient(model, layers, tiled_prepared, image, tiled)}
    times: dict[str, list[float]] = {"untiled": [], "tiled": []}
    loads = [_load()]
    for _ in range(pairs + 1):  # the first pair warms up
        for mode in ("untiled", "tiled"):
            started = _sync(dev)
            optimizers[mode].zero_grad()
            steps[mode](images[mode])
            optimizers[mode].step()
            with torch.no_grad():
                images[mode].clamp_(0, 1)
            times[mode].append(_sync(dev) - started)
        loads.append(_load())
    medians = {mode: statistics.median(values[1:]) for mode, values in times.items()}
    megapixels = size * size / 1e6
    return {"size": size, "tile_size": tile_size, "pairs": pairs,
            "s_per_iteration": {m: [round(v, 2) for v in t[1:]] for m, t in times.items()},
            "ms_per_iteration_per_mp": {m: round(v * 1000 / megapixels) for m, v in
                                        medians.items()},
            "overhead_ratio": round(medians["tiled"] / medians["untiled"], 3),
            "tiles_per_iteration": len(grid.next((size, size))), "load_averages": loads}


def peak_of_run(width: int, height: int, end_scale: int, tile_size: int | None,
                device: str) -> dict:
    """One stylization of one scale and one iteration; its peak memory in MB."""
    models = _models(device)
    models.vgg()
    content = photo("astronaut").resize((width, height), Image.LANCZOS)
    style = photo("starry_night")
    options = Options(face_weight=0, mesh_weight=0, min_scale=end_scale, end_scale=end_scale,
                      initial_iterations=1, tile_size=tile_size)
    estimate = estimate_peak_bytes(options, (width, height), [style.size], models.device)
    row = {"size": f"{width}x{height}", "end_scale": end_scale,
           "tile_size": "auto" if tile_size is None else tile_size,
           "estimate_mb": round(estimate / 2**20)}
    if models.device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    try:
        result = stylize(content, [style], options=options, models=models)
    except OutOfMemory as err:
        return {**row, "refused": str(err)}
    row["ran_tile_size"] = result.metadata["options"]["tile_size"]
    row["seconds"] = result.metadata["timings"]["total_s"]
    if models.device.type == "cuda":
        row["peak_mb"] = round(torch.cuda.max_memory_allocated() / 2**20)
    else:
        row["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return row


def in_child(args: argparse.Namespace, *run: object) -> dict:
    command = [sys.executable, __file__, "child", "--device", args.device,
               "--child", json.dumps(run)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def overhead(args: argparse.Namespace) -> None:
    found = step_times(args.size, args.tile_size, args.pairs, args.device)
    write_json(f"tiles-overhead-{args.device}", {**found, "weights": WEIGHTS})
    table = ["| mode | s per iteration (each pair) | ms / iteration / MP (median) |",
             "|---|---|---|"]
    table += [f"| {mode} | {', '.join(map(str, found['s_per_iteration'][mode]))} | "
              f"{found['ms_per_iteration_per_mp'][mode]} |" for mode in ("untiled", "tiled")]
    settings = (f"Content astronaut at {args.size}x{args.size}, style Starry Night, content + "
                f"style + TV, face terms off, {WEIGHTS}; one process alternating an untiled "
                f"and a {args.tile_size}-px tiled iteration ({found['tiles_per_iteration']} "
                f"tiles, moving grid), {args.pairs} pairs after one warm-up pair; tiled ÷ "
                f"untiled ms per iteration per MP **{found['overhead_ratio']}**; load averages "
                f"{found['load_averages']} (a shared CPU)")
    append_section(f"Tiling overhead ({args.size} px, {args.device})", settings, table)


def estimate_row(width: int, height: int, end_scale: int, tile_size: int | None,
                 device: str) -> dict:
    """A run not made: its estimate only (``--full`` runs it)."""
    options = Options(face_weight=0, mesh_weight=0, min_scale=end_scale, end_scale=end_scale,
                      tile_size=tile_size)
    estimate = estimate_peak_bytes(options, (width, height), [photo("starry_night").size],
                                   device)
    return {"size": f"{width}x{height}", "end_scale": end_scale,
            "tile_size": "auto" if tile_size is None else tile_size,
            "estimate_mb": round(estimate / 2**20), "not_run": "estimate only"}


def earlier_row(run: tuple[int, int, int, int], device: str) -> dict:
    """The row of ``run`` from the last ``memory`` JSON, not run again (``--keep-untiled``)."""
    found = json.loads((Path(__file__).parent / "results" /
                        f"tiles-memory-{device}.json").read_text())
    size = f"{run[0]}x{run[1]}"
    row = next(r for r in found["rows"] if r["size"] == size and r["tile_size"] == run[3])
    return {**row, "earlier_run": f"{found['machine']}, load averages "
                                  f"{found['load_averages']}"}


def memory(args: argparse.Namespace) -> None:
    runs = [(512, 384, 512, 0), (1024, 768, 1024, None), (2048, 1536, 2048, None),
            (2048, 1536, 2048, 0)]
    loads = [_load()]
    rows = []
    for run in runs:
        measured = args.full or run[0] <= 1024
        if measured and args.keep_untiled and run[0] > 1024 and run[3] == 0:
            rows.append(earlier_row(run, args.device))
            continue
        rows.append(in_child(args, *run) if measured else estimate_row(*run, args.device))
        loads.append(_load())
    small = rows[0]["peak_mb"]
    for row in rows:
        if "peak_mb" in row:
            row["peak_over_512_untiled"] = round(row["peak_mb"] / small, 2)
    write_json(f"tiles-memory-{args.device}", {"rows": rows, "load_averages": loads,
                                               "weights": WEIGHTS})
    table = ["| content | tile_size (ran) | peak (MB) | ÷ 512-px untiled | estimate (MB) | s |",
             "|---|---|---|---|---|---|"]
    for row in rows:
        if "refused" in row or "not_run" in row:
            why = row.get("refused") or "not run (CPU time); estimate only"
            table.append(f"| {row['size']} | {row['tile_size']} | {why} | | "
                         f"{row['estimate_mb']} | |")
            continue
        earlier = " (earlier run, not rerun)" if "earlier_run" in row else ""
        table.append(f"| {row['size']} | {row['tile_size']} ({row['ran_tile_size']}) | "
                     f"{row['peak_mb']}{earlier} | {row['peak_over_512_untiled']} | "
                     f"{row['estimate_mb']} | {row['seconds']} |")
    kind = "peak RSS of the process" if args.device == "cpu" else "torch.cuda.max_memory_allocated"
    default = (f"the largest from {default_tile_size(args.device)} down to "
               f"{CPU_SMALLEST_AUTO_TILE} px whose estimate is within {CPU_MEMORY_BUDGET} × "
               f"the 512-px untiled run's" if default_tile_size(args.device)
               else "untiled unless memory needs")
    earlier = [f"{r['size']} tile_size {r['tile_size']} from an earlier run ({r['earlier_run']})"
               for r in rows if "earlier_run" in r]
    settings = (f"One scale, 1 iteration per run, one process per run, {kind}; content "
                f"astronaut resized, style Starry Night, face terms off, {WEIGHTS}; auto "
                f"tile on {args.device}: {default}; estimates above the loaded models "
                f"(backend/engine/memory.py); load averages {loads}"
                + "".join(f"; {line}" for line in earlier))
    append_section(f"Full-resolution memory ({args.device})", settings, table)


def schedule(args: argparse.Namespace) -> None:
    found = json.loads((Path(__file__).parent / "results" /
                        f"tiles-overhead-{args.device}.json").read_text())
    per_mp = found["ms_per_iteration_per_mp"]["tiled"] / 1000
    options = Options(end_scale=0, face_weight=0, mesh_weight=0)
    plan = scale_plan(options, PHOTO)
    rows = [{"size": f"{s.width}x{s.height}", "iterations": s.iterations,
             "seconds": round(s.iterations * s.width * s.height / 1e6 * per_mp)} for s in plan]
    total = sum(row["seconds"] for row in rows)
    write_json(f"tiles-schedule-{args.device}", {
        "photo": list(PHOTO), "s_per_iteration_per_mp": per_mp, "rows": rows,
        "total_s": total, "computed_from": f"tiles-overhead-{args.device}.json",
        "weights": WEIGHTS})
    table = ["| scale | iterations | s (computed) |", "|---|---|---|"]
    table += [f"| {r['size']} | {r['iterations']} | {r['seconds']} |" for r in rows]
    table.append(f"| total | {sum(r['iterations'] for r in rows)} | {total} "
                 f"({total / 3600:.1f} h) |")
    settings = (f"A {PHOTO[0]}x{PHOTO[1]} photo at full resolution (end_scale 0) with the "
                f"default ladder and high-scale schedule, face terms off; **computed**, not run:"
                f" iterations × megapixels × {per_mp:.1f} s per iteration per MP, the tiled "
                f"step measured at {found['size']} px (Tiling overhead section; load "
                f"averages {found['load_averages']})")
    append_section(f"Full-resolution time ({PHOTO[0]}x{PHOTO[1]}, {args.device})", settings,
                   table)


def settle(args: argparse.Namespace) -> None:
    """How the loss falls with the iterations at each warm-started rung of a small ladder."""
    models = _models(args.device)
    options = Options(face_weight=0, mesh_weight=0, min_scale=args.size // 4,
                      end_scale=args.size, initial_iterations=args.iterations,
                      iterations=args.iterations)
    losses: dict[int, list[float]] = {}
    stylize(photo("astronaut"), [photo("starry_night")], options=options, models=models,
            on_progress=lambda e: losses.setdefault(max(e.width, e.height), []).append(
                e.losses["total"]))
    rows = []
    for side, values in list(losses.items())[1:]:
        drop = values[0] - values[-1]
        reached = {share: next(i + 1 for i, v in enumerate(values)
                               if values[0] - v >= share * drop) for share in (0.5, 0.9)}
        rows.append({"scale": side, "first_loss": round(values[0], 4),
                     "last_loss": round(values[-1], 4),
                     "drop_percent": round(100 * drop / values[0], 2),
                     "iterations_to_half_the_drop": reached[0.5],
                     "iterations_to_90_percent": reached[0.9], "losses": values})
    write_json(f"tiles-settle-{args.device}", {"iterations": args.iterations, "rows": rows,
                                               "load_average": _load(), "weights": WEIGHTS})
    table = ["| scale | loss at its 1st → last iteration | drop | iterations to 50 % / 90 % "
             "of the drop |", "|---|---|---|---|"]
    table += [f"| {r['scale']} | {r['first_loss']} → {r['last_loss']} | {r['drop_percent']} % "
              f"| {r['iterations_to_half_the_drop']} / {r['iterations_to_90_percent']} |"
              for r in rows]
    settings = (f"Astronaut, style Starry Night, face terms off, ladder {args.size // 4}-"
                f"{args.size} px, {args.iterations} iterations at every rung, {WEIGHTS}; the "
                f"total loss at each warm-started rung; load average {_load()}")
    append_section(f"Loss over the iterations per rung ({args.device})", settings, table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=["overhead", "memory", "schedule", "settle", "child"])
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--tile-size", type=int, default=None,
                        help="default: the device's default tile (CPU 512)")
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=40, help="settle: per rung")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--full", action="store_true",
                        help="memory: run the 2048x1536 rows too (hours on a shared CPU)")
    parser.add_argument("--keep-untiled", action="store_true",
                        help="memory --full: keep the 2048x1536 untiled row of the last JSON "
                             "instead of running it again (about 9 GB)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.tile_size is None:
        args.tile_size = default_tile_size(args.device) or 512
    if args.part == "child":
        print(json.dumps(peak_of_run(*json.loads(args.child), args.device)))
        return
    {"overhead": overhead, "memory": memory, "schedule": schedule,
     "settle": settle}[args.part](args)


if __name__ == "__main__":
    main()
