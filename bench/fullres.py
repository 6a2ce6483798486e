"""A 2048×1536 photo at full resolution through the CLI, the server and GIMP (issue 11).

    python bench/fullres.py [--check]

One job per client on the same content, each in its own real process: ``python -m backend
stylize --end-scale full`` (the CLI), a ``python -m backend serve`` driven by
:class:`shared.client.Client` (the server), and a headless GIMP 3 running the plug-in's
procedure with end-scale 0 ("Layer size") against a real backend (tests/gimp's harness).

The job is a short ladder (min_scale 1024, end full: 1024, 1448 and 2048 px, one iteration at
each), default face terms, default tile size: the figures show memory and the size path, not a
finished artwork. For each client: the output's pixel size, the tile size the job ran with (its
metadata), the peak RSS of the process that computed it (the CLI's ``ru_maxrss`` from
``wait4``; a backend's ``VmHWM``, reset through ``/proc/PID/clear_refs`` after its baseline
job), that peak over a 512-px untiled job's peak in the same kind of process, the memory
planner's estimate (:func:`backend.engine.memory.estimate_peak_bytes`, above the loaded
models), the wall time, the load average, and the seam ratio along the tile grid's borders
(bench/tiles_quality.py's measure; about 1 for no seam). SEEDED RANDOM VGG-19 and FaceNet.
``--check``: the same plumbing on a 256×192 content (min_scale 128), nothing written.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.engine.memory import estimate_peak_bytes  # noqa: E402
from backend.server.images import image_data_from_source, image_data_to_float  # noqa: E402
from bench.report import append_section, write_json  # noqa: E402
from bench.tiles_quality import border_positions, seam_ratio  # noqa: E402
from shared.options import Options  # noqa: E402
from tests.editor_backend import start_backend, stop_backend  # noqa: E402
from tests.gimp.gimp_root import gimp_root  # noqa: E402
from tests.gimp.harness import GimpHarness  # noqa: E402
from tests.gimp.scenarios import DIALOG, arguments_text  # noqa: E402
from tests.photos import photo  # noqa: E402
from tests.shared.messages import free_endpoint  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = "SEEDED RANDOM VGG-19 and FaceNet"
FULL = {"min_scale": 1024, "end_scale": 0, "initial_iterations": 1, "iterations": 1,
        "preview_interval": 0}
BASELINE = {"min_scale": 512, "end_scale": 512, "initial_iterations": 1, "tile_size": 0}
GIMP_TIMEOUT_S = 1800


def load() -> float:
    return round(os.getloadavg()[0], 1)


def content(size: tuple[int, int]) -> Image.Image:
    """The astronaut's upper 512×384 (her face and shoulders), scaled to ``size`` (w, h)."""
    return photo("astronaut").crop((0, 0, 512, 384)).resize(size, Image.LANCZOS)


def engine_options(values: dict) -> Options:
    return Options(**{k: v for k, v in values.items() if k != "preview_interval"})


def kib_line(pid: int, key: str) -> int:
    """A ``/proc/PID/status`` figure in KiB (``VmHWM``: the peak resident set)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {key} for process {pid}")


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM := VmRSS (Linux ≥ 4.0)


def timed(function, *arguments):
    """``function(*arguments)`` and the seconds it took."""
    started = time.monotonic()
    return function(*arguments), time.monotonic() - started


def measure(name: str, run) -> dict:
    """``run()`` → ``(pixels (H, W, ≥3) float, metadata, peak KiB, baseline peak KiB, wall s
    of the full job alone)``."""
    before = load()
    pixels, metadata, peak, baseline, wall = run()
    h, w = pixels.shape[:2]
    faces = metadata["faces"].get("terms", {}).get("scales", [{}])[-1].get("faces", [])
    tile = metadata["options"]["tile_size"]
    return {"client": name, "output": [w, h], "computed": metadata["size"], "tile_size": tile,
            "peak_mb": round(peak / 1024), "baseline_peak_mb": round(baseline / 1024),
            "peak_over_512_untiled": round(peak / baseline, 2), "wall_s": round(wall),
            "engine_s": round(metadata["timings"]["total_s"]),
            "scales": metadata["scales"], "iterations_run": metadata["iterations_run"],
            "scales_s": [round(s) for s in metadata["timings"]["scales_s"]],
            "threads": metadata["timings"]["threads"], "faces_in_the_face_terms": len(faces),
            "layer_name": metadata.get("layer"),
            "load_averages": [before, load()], "pixels": pixels}


def cli(folder: Path, content_path: Path, style_path: Path) -> tuple:
    def flags(values: dict) -> list[str]:
        shown = {**values, "end_scale": values["end_scale"] or "full"}
        return [f"--{key.replace('_', '-')}={value}" for key, value in shown.items()
                if key != "preview_interval"]

    def one(values: dict, tag: str) -> tuple[dict, int]:
        out, meta = folder / f"cli-{tag}.png", folder / f"cli-{tag}.json"
        command = [sys.executable, "-m", "backend", "stylize", str(content_path),
                   str(style_path), "-o", str(out), "--metadata", str(meta), "-q",
                   "--device", "cpu", "--allow-random-weights", *flags(values)]
        process = subprocess.Popen(command, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            raise RuntimeError(f"{' '.join(command)} exited with {process.returncode}")
        pixels = np.asarray(Image.open(out).convert("RGB"), dtype=np.float32) / 255
        return {"pixels": pixels, "metadata": json.loads(meta.read_text())}, usage.ru_maxrss

    _, baseline = one(BASELINE, "512")
    (full, peak), wall = timed(one, FULL, "full")
    return full["pixels"], full["metadata"], peak, baseline, wall


def backend_baseline(endpoint: str, pid: int, content_image: Image.Image,
                     style_image: Image.Image) -> int:
    """Run the 512-px untiled job on the backend at ``endpoint``; its VmHWM, then reset."""
    backend_job(endpoint, content_image, style_image, BASELINE)
    peak = kib_line(pid, "VmHWM")
    reset_peak(pid)
    return peak


def backend_job(endpoint: str, content_image: Image.Image, style_image: Image.Image,
                values: dict) -> tuple[np.ndarray, dict]:
    from shared.client import Client

    with Client(endpoint, timeout=60.0) as client:
        job = client.submit(image_data_from_source(content_image),
                            [image_data_from_source(style_image)], options=engine_options(values))
        for _ in job.events():
            pass
        image, metadata = job.result()
    return image_data_to_float(image), metadata


def server(folder: Path, content_image: Image.Image, style_image: Image.Image) -> tuple:
    endpoint = free_endpoint()
    backend = start_backend(endpoint, folder / "server.log")
    try:
        baseline = backend_baseline(endpoint, backend.process.pid, content_image, style_image)
        (pixels, metadata), wall = timed(backend_job, endpoint, content_image, style_image,
                                         FULL)
        return pixels, metadata, kib_line(backend.process.pid, "VmHWM"), baseline, wall
    finally:
        stop_backend(endpoint, backend.process)


def gimp(folder: Path, content_image: Image.Image, style_image: Image.Image,
         content_png: bytes, style_png: bytes) -> tuple:
    """The plug-in's procedure on a layer of the content's size, end-scale 0 (what the dialog's
    "Layer size" sets), against a real backend; the result layer's pixels are dumped."""
    from tests.editor_backend import collect_run
    from tests.gimp.scenarios import pixels as dumped

    endpoint = free_endpoint()
    backend = start_backend(endpoint, folder / "gimp-backend.log")
    harness = GimpHarness(gimp_root(), endpoint)
    try:
        harness.install()
        baseline = backend_baseline(endpoint, backend.process.pid, content_image, style_image)
        portrait, style = harness.put("content.png", content_png), harness.put("style.png",
                                                                               style_png)
        started = time.monotonic()
        process, out_dir = harness.start(f"""
def body():
    image = canvas({content_image.width}, {content_image.height})
    content = add_layer(image, {portrait!r}, "Portrait")
    style = add_layer(image, {style!r}, "Starry Night", position=0)
    call = run_procedure({DIALOG!r}, image, [content], style_layer=style,
                         {arguments_text(FULL)})
    if call["layer"] is None:
        raise RuntimeError(f"the procedure failed: {{call['status']}} {{call['error']}}")
    record("layer", layer_info(image, call["layer"]))
    record("dumped", dump(call["layer"], "result"))
scenario(body)
""")
        run = collect_run(process, out_dir, "GIMP", GIMP_TIMEOUT_S, output_tail=4000)
        wall = time.monotonic() - started
        layer = run.report["layer"]
        pixels = dumped(out_dir, "result", run.report["dumped"]).astype(np.float32) / 255
        peak = kib_line(backend.process.pid, "VmHWM")
        metadata = {**json.loads(layer["parasite"]), "layer": layer["name"]}
        return pixels, metadata, peak, baseline, wall
    finally:
        harness.remove()
        stop_backend(endpoint, backend.process)


def seams(row: dict, reference: np.ndarray) -> float | None:
    """bench/tiles_quality.py's seam ratio of the result's distance to the content, at the
    borders of the tile grid of the job's tile size (None when it ran untiled)."""
    tile, pixels = row["tile_size"], row.pop("pixels")
    if not tile or max(pixels.shape[:2]) <= tile:
        return None
    distance = np.abs(pixels[..., :3] - reference).mean(axis=2)
    return round(seam_ratio(distance, *border_positions(pixels.shape[:2], tile)), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="256x192, min_scale 128: the plumbing only, nothing written")
    parser.add_argument("--clients", nargs="+", default=["cli", "server", "gimp"])
    args = parser.parse_args()
    size = (256, 192) if args.check else (2048, 1536)
    if args.check:
        FULL["min_scale"] = 128
        BASELINE.update(min_scale=128, end_scale=128)
    content_image, style_image = content(size), photo("starry_night")
    reference = np.asarray(content_image, dtype=np.float32) / 255
    estimates = {name: round(estimate_peak_bytes(engine_options(values), size,
                                                 [style_image.size], "cpu") / 2**20)
                 for name, values in (("full", FULL), ("512_untiled", BASELINE))}
    rows, loads = [], [load()]
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        content_path, style_path = folder / "content.png", folder / "style.png"
        content_image.save(content_path)
        style_image.save(style_path)
        runs = {"cli": lambda: cli(folder, content_path, style_path),
                "server": lambda: server(folder, content_image, style_image),
                "gimp": lambda: gimp(folder, content_image, style_image,
                                     content_path.read_bytes(), style_path.read_bytes())}
        for name in args.clients:
            row = measure(name, runs[name])
            row["seam_ratio"] = seams(row, reference)
            row["full_size_no_upscaling"] = row["output"] == row["computed"] == list(size)
            rows.append(row)
            print(json.dumps(row), flush=True)
            loads.append(load())
    if args.check:
        return
    write_json("fullres-clients-cpu", {
        "content": "astronaut (scikit-image) upper 512x384, scaled to 2048x1536",
        "style": "starry_night", "job": FULL, "baseline_job": BASELINE,
        "estimate_mb": estimates, "rows": rows, "load_averages": loads, "weights": WEIGHTS})
    table = [f"| client ({WEIGHTS}) | output (px) | tile (metadata) | peak RSS (MB) | ÷ 512-px "
             "untiled (its peak, MB) | estimate (MB) | wall s (engine s) | load avg | seam "
             "ratio |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        table.append(
            f"| {r['client']} | {r['output'][0]}×{r['output'][1]} (computed "
            f"{r['computed'][0]}×{r['computed'][1]}) | {r['tile_size']} | "
            f"{r['peak_mb']} | **{r['peak_over_512_untiled']}** ({r['baseline_peak_mb']}) | "
            f"{estimates['full']} | {r['wall_s']} ({r['engine_s']}) | "
            f"{r['load_averages'][0]}–{r['load_averages'][1]} | {r['seam_ratio']} |")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    settings = (
        f"`python bench/fullres.py` at {commit}: content the astronaut's upper 512×384 "
        "(scikit-image, a face) scaled to 2048×1536, style Starry Night; one job per client, "
        "each in its own real process: the CLI (`stylize --end-scale full`), a backend driven "
        "by shared's client, and headless GIMP 3 running the plug-in with end-scale 0 "
        "(\"Layer size\") against a backend. A SHORT LADDER: min_scale 1024, end full (1024, "
        "1448, 2048 px), 1 iteration per scale, default face terms and tile size: the figures "
        "show memory and the size path, not a finished artwork. Peak RSS: the CLI's "
        "ru_maxrss; a backend's VmHWM, reset after its baseline job; baseline: a 512-px "
        "untiled job (1 iteration) in the same kind of process (estimate "
        f"{estimates['512_untiled']} MB); estimates are above the loaded models "
        "(backend/engine/memory.py). Wall time: the full job alone (the CLI: process start to "
        "exit, model load included; the server: submit to result; GIMP: its start to its "
        "exit); engine s: the job's own total (metadata). Seam ratio: "
        "bench/tiles_quality.py's measure at the borders of the tile grid in the middle of "
        f"its range, about 1 for no seam. {WEIGHTS}; load averages {loads}")
    append_section("Full resolution through every client (2048×1536, cpu)", settings, table)


if __name__ == "__main__":
    main()
