"""Every GPU figure in one run: precision speed, memory and closeness, a default job, tiles.

    bench/gpu.sh                      # on a CUDA machine: python bench/gpu.py
    python bench/gpu.py --smoke       # the same code on the CPU at tiny sizes (a test runs it)

1. ms per iteration in fp32, bf16 and fp16 (``precision`` option) at 512, 1024 and 2048 px,
   style only, after warm-up iterations (cuDNN's algorithm search for a new shape falls in
   them), with the peak GPU memory of each run and the PSNR of its output against fp32's.
2. PSNR of a multi-scale job's output (128 → 512 px) in bf16 and fp16 against fp32.
3. The wall time of a full default job at 512 px (Crowson's 1000 + 4 × 500 iterations, face
   terms at their defaults) in fp32 and with ``precision auto``.
4. Tiled: peak GPU memory of a 4096-px scale in 1024-px tiles and untiled, then
   ``bench/tiles.py memory`` on the same device (its runs need Starry Night, see tiled()).

Content: scikit-image's astronaut (512 px, enlarged for larger sizes); style: its gravel
texture (both ship inside scikit-image: nothing is fetched). VGG-19 and FaceNet are SEEDED
RANDOM (as everywhere in bench/): speed and memory do not depend on the weights' values, and
PSNR compares precisions of the same computation. Writes ``gpu.json`` and ``gpu.md`` under
``$OUT`` when set (else bench/results/ and the "GPU" section of bench/RESULTS.md) and prints the
markdown tables.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.engine import EngineError, stylize  # noqa: E402
from backend.models.bundle import ModelBundle  # noqa: E402
from backend.weights import RandomWeightsWarning, WeightsConfig  # noqa: E402
from bench.report import append_section, machine, write_json  # noqa: E402
from shared.options import Options  # noqa: E402
from tests.photos import photo  # noqa: E402

PRECISIONS = ("fp32", "bf16", "fp16")
PARTS = ("speed", "ladder", "default", "tiled")
STYLE_ONLY = {"face_weight": 0.0, "mesh_weight": 0.0}
FULL = {"sizes": (512, 1024, 2048), "warmup": 5, "timed": 20, "ladder": (128, 512, 300, 100),
        "default_end_scale": 512, "tiled_size": 4096, "tile_size": 1024}
SMOKE = {"sizes": (48, 64), "warmup": 1, "timed": 2, "ladder": (32, 48, 3, 2),
         "default_end_scale": 48, "tiled_size": 128, "tile_size": 64}
SMOKE_DEFAULT_JOB = {"initial_iterations": 3, "iterations": 2, "min_scale": 32}


def psnr(reference: np.ndarray, other: np.ndarray) -> float | None:
    """Peak signal-to-noise ratio in dB of ``other`` against ``reference``, both float in
    [0, 1] of one shape: ``10 log10(1 / MSE)``, to 0.01 dB; None when they are equal."""
    mse = float(np.mean((reference.astype(np.float64) - other.astype(np.float64)) ** 2))
    return None if mse == 0 else round(10 * math.log10(1 / mse), 2)


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _reset_peak(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def _peak_mb(device: torch.device) -> float | None:
    return round(torch.cuda.max_memory_allocated() / 2**20) if device.type == "cuda" else None


def timed_run(models: ModelBundle, size: int, precision: str, warmup: int,
              timed: int) -> tuple[dict, np.ndarray]:
    """One scale of ``size`` px, style only: ms per iteration over the ``timed`` iterations
    after ``warmup``, the peak GPU memory (MB) and the output pixels."""
    device = models.device
    stamps: list[float] = []

    def on_progress(event) -> None:
        _synchronize(device)
        stamps.append(time.perf_counter())

    _reset_peak(device)
    options = Options(min_scale=size, end_scale=size, initial_iterations=warmup + timed,
                      precision=precision, **STYLE_ONLY)
    result = stylize(photo("astronaut"), [photo("gravel")], options=options, models=models,
                     on_progress=on_progress)
    ms = (stamps[-1] - stamps[warmup - 1]) / timed * 1000
    row = {"size": size, "precision": precision, "ms_per_iteration": round(ms, 2),
           "peak_gpu_mb": _peak_mb(device)}
    return row, result.pixels


def speed_table(models: ModelBundle, settings: dict, rows: list[dict]) -> None:
    """Every size in every precision, with the output's PSNR against fp32's at that size,
    appended to ``rows`` as each is measured."""
    for size in settings["sizes"]:
        outputs = {}
        for precision in PRECISIONS:
            row, outputs[precision] = timed_run(models, size, precision, settings["warmup"],
                                                settings["timed"])
            row["psnr_vs_fp32_db"] = psnr(outputs["fp32"], outputs[precision])
            rows.append(row)  # × fp32 follows once the size's three runs are done
            print(f"{size} px {precision}: {row['ms_per_iteration']} ms/it", flush=True)
        fp32 = next(r for r in rows if r["size"] == size and r["precision"] == "fp32")
        for row in rows:
            if row["size"] == size:
                row["speedup_vs_fp32"] = round(fp32["ms_per_iteration"]
                                               / row["ms_per_iteration"], 2)


def ladder_psnr(models: ModelBundle, settings: dict, rows: list[dict]) -> None:
    """A multi-scale style-only job in each precision: its output's PSNR against fp32's."""
    min_scale, end_scale, first, later = settings["ladder"]
    outputs = {}
    for precision in PRECISIONS:
        options = Options(min_scale=min_scale, end_scale=end_scale, initial_iterations=first,
                          iterations=later, precision=precision, **STYLE_ONLY)
        outputs[precision] = stylize(photo("astronaut"), [photo("gravel")], options=options,
                                     models=models).pixels
        rows.append({"precision": precision, "scales": f"{min_scale}-{end_scale}",
                     "iterations": f"{first}+{later}/scale",
                     "psnr_vs_fp32_db": psnr(outputs["fp32"], outputs[precision])})


def default_jobs(models: ModelBundle, settings: dict, smoke: bool, rows: list[dict]) -> None:
    """The default options (face terms on) to ``default_end_scale``, in fp32 and auto: wall
    seconds from the call to the result (models loaded by the first)."""
    for precision in ("fp32", "auto"):
        options = Options(end_scale=settings["default_end_scale"], precision=precision,
                          **(SMOKE_DEFAULT_JOB if smoke else {}))
        _synchronize(models.device)
        _reset_peak(models.device)
        started = time.perf_counter()
        result = stylize(photo("astronaut"), [photo("gravel")], options=options,
                         models=models)
        _synchronize(models.device)
        rows.append({"precision": precision, "ran_as": result.metadata["precision"],
                     "end_scale": options.end_scale,
                     "iterations": sum(result.metadata["iterations_run"]),
                     "wall_s": round(time.perf_counter() - started, 1),
                     "peak_gpu_mb": _peak_mb(models.device)})


def tiled(models: ModelBundle, settings: dict, smoke: bool) -> dict:
    """Peak GPU memory of one ``tiled_size``-px scale (2 iterations, style only, precision
    auto) in tiles of ``tile_size`` and untiled (refused in one line when it cannot fit);
    then bench/tiles.py's own memory figures on the same device, in their own processes."""
    rows = []
    for tile_size in (settings["tile_size"], 0):
        options = Options(min_scale=settings["tiled_size"], end_scale=settings["tiled_size"],
                          initial_iterations=2, tile_size=tile_size, **STYLE_ONLY)
        _reset_peak(models.device)
        started = time.perf_counter()
        row = {"size": settings["tiled_size"], "tile_size": tile_size or "untiled"}
        try:
            stylize(photo("astronaut"), [photo("gravel")], options=options, models=models)
        except EngineError as err:
            rows.append({**row, "refused": str(err)})
            continue
        _synchronize(models.device)
        rows.append({**row, "seconds": round(time.perf_counter() - started, 1),
                     "peak_gpu_mb": _peak_mb(models.device)})
    if smoke:
        return {"rows": rows, "tiles_bench": "not run with --smoke"}
    # bench/tiles.py's memory part uses Starry Night from Debian's opencv-doc (tests/photos.py):
    # on a machine without the network, carry its cache and point PORTRAIT_TEST_CACHE at it.
    command = [sys.executable, str(Path(__file__).with_name("tiles.py")), "memory",
               "--device", str(models.device)]
    done = subprocess.run(command, capture_output=True, text=True)
    return {"rows": rows, "tiles_bench": " ".join(command[1:]), "returncode": done.returncode,
            "tiles_output": (done.stdout if done.returncode == 0 else done.stderr)[-2000:]}


def _db(value: float | None) -> str:
    return "identical" if value is None else f"{value:.2f}"


def tables(report: dict) -> list[str]:
    """The report as markdown tables, one per part that ran."""
    lines: list[str] = []
    if report["device"].startswith("cuda"):
        lines += [f"{report['machine']}; cuDNN allow_tf32 {report['cudnn_allow_tf32']} (when "
                  "True, PyTorch's default, fp32 convolutions run in TF32); "
                  f"{report['weights']}.", ""]
    if report["speed"]:
        lines += ["| size | precision | ms / iteration | × fp32 | peak GPU MB | PSNR vs fp32 "
                  "(dB) |", "|---|---|---|---|---|---|"]
        lines += [f"| {r['size']} | {r['precision']} | {r['ms_per_iteration']} | "
                  f"{r.get('speedup_vs_fp32', '–')} | {r['peak_gpu_mb']} | "
                  f"{_db(r['psnr_vs_fp32_db'])} |" for r in report["speed"]]
    if report["ladder"]:
        lines += ["", "| multi-scale job | precision | PSNR vs fp32 (dB) |", "|---|---|---|"]
        lines += [f"| {r['scales']} px, {r['iterations']} | {r['precision']} | "
                  f"{_db(r['psnr_vs_fp32_db'])} |" for r in report["ladder"]]
    if report["default_jobs"]:
        lines += ["", "| default job | precision (ran as) | iterations | wall s | peak GPU MB |",
                  "|---|---|---|---|---|"]
        lines += [f"| end_scale {r['end_scale']}, faces on | {r['precision']} ({r['ran_as']}) "
                  f"| {r['iterations']} | {r['wall_s']} | {r['peak_gpu_mb']} |"
                  for r in report["default_jobs"]]
    lines += [f"\n**{name} part FAILED**: {error}" for name, error in report["errors"].items()]
    tiles = report["tiled"]
    if tiles is not None:
        lines += ["", "| tiled run | tile_size | peak GPU MB | s |", "|---|---|---|---|"]
        lines += [f"| {r['size']} px, 2 iterations | {r['tile_size']} | "
                  + (f"refused: {r['refused']} | |" if "refused" in r
                     else f"{r['peak_gpu_mb']} | {r['seconds']} |") for r in tiles["rows"]]
        if "returncode" in tiles:
            lines += ["", f"`{tiles['tiles_bench']}` (exit {tiles['returncode']}):", "",
                      *tiles["tiles_output"].strip().splitlines()[-8:]]
    return lines


def run_parts(models: ModelBundle, settings: dict, args: argparse.Namespace, report: dict,
              save: Callable[[dict], None]) -> None:
    """Each chosen part in turn, saving the report after each: a part that fails is recorded
    with its error and the others still run (a GPU machine's one run should lose nothing)."""
    parts = {"speed": lambda: speed_table(models, settings, report["speed"]),
             "ladder": lambda: ladder_psnr(models, settings, report["ladder"]),
             "default": lambda: default_jobs(models, settings, args.smoke,
                                             report["default_jobs"]),
             "tiled": lambda: report.update(tiled=tiled(models, settings, args.smoke))}
    for name in (part for part in PARTS if part in args.parts):
        try:
            parts[name]()
        except Exception as err:  # noqa: BLE001 - recorded and shown; the next part runs
            traceback.print_exc()
            report["errors"][name] = f"{type(err).__name__}: {err}"[:500]
        save(report)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes on the CPU: checks the script, measures nothing")
    parser.add_argument("--device", default=None, help="default: cuda (cpu with --smoke)")
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS),
                        help="which figures (default: all)")
    parser.add_argument("--sizes", type=int, nargs="+", help="sizes of the speed part")
    parser.add_argument("--timed", type=int, help="timed iterations per speed run")
    args = parser.parse_args(argv)
    device = args.device or ("cpu" if args.smoke else "cuda")
    settings = dict(SMOKE if args.smoke else FULL)
    settings.update({key: value for key, value in (("sizes", args.sizes),
                                                    ("timed", args.timed)) if value})
    started = time.perf_counter()
    models = ModelBundle(device, WeightsConfig(allow_random=True))
    report = {"machine": machine(), "device": str(models.device), "smoke": args.smoke,
              "threads": torch.get_num_threads(),
              "cudnn_allow_tf32": torch.backends.cudnn.allow_tf32,
              "weights": "SEEDED RANDOM VGG-19 and FaceNet",
              "content": "astronaut (scikit-image)", "style": "gravel (scikit-image)",
              "speed": [], "ladder": [], "default_jobs": [], "tiled": None, "errors": {}}
    out = Path(os.environ["OUT"]) if os.environ.get("OUT") else None

    def save(report: dict) -> None:
        report["seconds"] = round(time.perf_counter() - started, 1)
        report["load_average"] = round(os.getloadavg()[0], 2)
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            (out / "gpu.json").write_text(json.dumps(report, indent=2) + "\n")
            (out / "gpu.md").write_text("\n".join(tables(report)) + "\n")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RandomWeightsWarning)
        run_parts(models, settings, args, report, save)
    lines = tables(report)
    print("\n".join(lines))
    if out is None and not args.smoke:
        write_json(f"gpu-{models.device.type}", report)
        title = "GPU" if models.device.type == "cuda" else f"Precision ({models.device.type})"
        append_section(title, f"bench/gpu.py, {report['seconds']} s in all, load average "
                       f"{report['load_average']}; {report['weights']}; content "
                       f"{report['content']}, style {report['style']}", lines)
    return report


if __name__ == "__main__":
    main()
