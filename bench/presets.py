"""Time to the result: each preset against the default schedule, on three portraits.

    python bench/presets.py run --portrait astronaut --config default
    python bench/presets.py run --portrait astronaut --config draft
    python bench/presets.py report [--configs draft balanced final]
    python bench/presets.py all       # every portrait with default and each preset, then report

``run`` stylizes one portrait (Starry Night, end scale 256 px, seed 0, face terms at their
defaults) with one configuration (``default``: no preset, Crowson's schedule; a preset name;
or ``--options JSON`` for a trial schedule under a label of your choice) and keeps its loss
curve, its final losses and its face judges' readings in a run file (under
``$PORTRAIT_BENCH_RUNS`` or ``~/.cache/portrait-stylization-bench/presets``). ``report``
compares each configuration with the default on the same portrait and writes the table into
bench/RESULTS.md and bench/results/presets.json. Runs are separate processes so the long
default runs can go on in the background while others are tried.

Cost is iterations·pixels, Σ over the scales of iterations × width × height: the work of an
iteration grows with its pixels, so this counts work, not wall time (a shared CPU's wall time
says more about its other users). The final loss is the engine's style + content terms on the
output at the end scale (bench/faces.py's ``final_losses``). Face judges: dlib's 68-point NME
(tests/dlib_judge.py) and the engine's independent keypoint judge (backend/engine/fidelity.py).
VGG-19 and FaceNet are SEEDED RANDOM (their checkpoints cannot be fetched here): the losses say
how fast each schedule optimises the same objective, not how the art looks with real weights.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import warnings
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.engine import stylize  # noqa: E402
from backend.models.bundle import ModelBundle  # noqa: E402
from backend.weights import RandomWeightsWarning, WeightsConfig  # noqa: E402
from bench.preset_measures import final_losses, judge_columns, judged  # noqa: E402
from bench.report import append_section, write_json  # noqa: E402
from shared.options import Options  # noqa: E402
from shared.presets import PRESETS, with_preset  # noqa: E402
from tests.photos import photo  # noqa: E402

PORTRAITS = ("astronaut", "portrait_a", "portrait_b")
PRESET_NAMES = tuple(name for name in PRESETS if name != "none")
END_SCALE = 256
CURVE_EVERY = 10  # iterations between the points of a stored loss curve
RUNS = Path(os.environ.get("PORTRAIT_BENCH_RUNS",
                           Path.home() / ".cache" / "portrait-stylization-bench" / "presets"))
PRECISION_NAMES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}
LOSS_TOLERANCE = 0.03  # the goals: within 3 % of the default's final loss,
WORK_LIMIT = 0.15  # at most 15 % of its iterations·pixels,
NME_TOLERANCE = 0.10  # and a face judge's NME at most 10 % worse


def run_path(portrait: str, config: str) -> Path:
    return RUNS / f"{portrait}-{config}.json"


def config_options(config: str, extra: dict) -> Options:
    """The options of one configuration at the bench's end scale."""
    values = {"end_scale": END_SCALE, **extra}
    if config != "default" and not extra:
        values["preset"] = config
    return Options.from_dict(values)


def run(portrait: str, config: str, extra: dict, threads: int) -> dict:
    """One stylization: its loss curve (every :data:`CURVE_EVERY` iterations and the last of
    each scale), cost, final losses and face judges."""
    torch.set_num_threads(threads)
    options = config_options(config, extra)
    models = ModelBundle("cpu", WeightsConfig(allow_random=True))
    content, style = photo(portrait), photo("starry_night")
    curve: list[dict] = []
    work = 0

    def on_progress(event) -> None:
        nonlocal work
        work += event.width * event.height
        if event.iteration % CURVE_EVERY == 0 or event.iteration == event.iterations:
            curve.append({"scale": event.scale_index, "iteration": event.iteration,
                          "work": work, **{k: round(v, 6) for k, v in event.losses.items()}})

    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RandomWeightsWarning)
        result = stylize(content, [style], options=options, models=models,
                         on_progress=on_progress)
    seconds = time.perf_counter() - started
    fidelity = result.metadata["faces"]["fidelity"]
    judging = options.replace(tile_size=0)  # the output is judged whole (tile_size not None)
    row = {"portrait": portrait, "config": config, "options": options.to_dict(),
           "iterations_pixels": work, "seconds": round(seconds, 1),
           "load_average": round(os.getloadavg()[1], 2), "threads": threads,
           "scales_s": result.metadata["timings"]["scales_s"],
           "precision": result.metadata["precision"],
           **final_losses(result, content, style, judging, models),
           **judge_columns(fidelity), **judged(result, content, judging, models),
           "weights": models.weights_used, "curve": curve}
    RUNS.mkdir(parents=True, exist_ok=True)
    run_path(portrait, config).write_text(json.dumps(row, indent=1) + "\n")
    print(f"{portrait} {config}: style+content {row['style'] + row['content']:.5f}, work "
          f"{work / 1e6:.1f} M, {seconds:.0f} s, dlib NME {row['dlib_nme']:.4f}", flush=True)
    return row


def final_loss(run: dict) -> float:
    return run["style"] + run["content"]


def compare(base: dict | None, other: dict) -> dict:
    """``other`` against the default run ``base`` on the same portrait (None: not run yet):
    its cost, final style + content loss and face judges' NMEs, and their ratios to the
    default's (None without one)."""
    def ratio(key: str) -> float | None:
        if base is None:
            return None
        value = final_loss if key == "loss" else (lambda run: run[key])
        return value(other) / value(base)

    schedule = with_preset(Options.from_dict(other["options"]))  # what the run ran
    precision = other.get("precision", schedule.precision)  # the run's, when it recorded it
    return {"portrait": other["portrait"], "config": other["config"],
            "schedule": f"{schedule.initial_iterations} + {schedule.iterations}/scale, "
                        f"step {schedule.step_size:g}, avg_decay {schedule.avg_decay:g}, "
                        f"early_stop {schedule.early_stop:g}, min_scale {schedule.min_scale}, "
                        f"{PRECISION_NAMES.get(precision, precision)}",
            "iterations_pixels": other["iterations_pixels"],
            "work_ratio": ratio("iterations_pixels"),
            "loss": final_loss(other), "loss_ratio": ratio("loss"),
            "dlib_nme": other["dlib_nme"], "dlib_ratio": ratio("dlib_nme"),
            "judge_nme": other["judge_nme"], "judge_ratio": ratio("judge_nme"),
            "seconds": other["seconds"], "load_average": other["load_average"]}


def meets_goal(row: dict) -> bool | None:
    """Whether a compared row meets the issue's goal (None without a default to compare)."""
    if row["work_ratio"] is None:
        return None
    nme_ok = math.isnan(row["dlib_ratio"]) or row["dlib_ratio"] <= 1 + NME_TOLERANCE
    return (row["work_ratio"] <= WORK_LIMIT and row["loss_ratio"] <= 1 + LOSS_TOLERANCE
            and nme_ok)


def _times(value: float, ratio: float | None, digits: int) -> str:
    return f"{value:.{digits}f}" + ("" if ratio is None else f" ({ratio:.3f})")


def report(configs: list[str] | None) -> None:
    """Compare the runs kept so far (``configs``; None: every one) with the default."""
    found = sorted(RUNS.glob("*.json")) if configs is None else [
        run_path(p, c) for p in PORTRAITS for c in ["default", *configs]]
    runs = {(r["portrait"], r["config"]): r for r in
            (json.loads(path.read_text()) for path in found if path.exists())}
    rows = [compare(runs.get((p, "default")), run) for (p, c), run in sorted(
        runs.items(), key=lambda item: (PORTRAITS.index(item[0][0]), item[0][1] != "default",
                                        item[1]["iterations_pixels"]))]
    table = ["| portrait | run | schedule | iterations·pixels M (× default) | style + content "
             "loss (× default) | dlib NME (× default) | keypoint judge NME (× default) | "
             "wall s (load) |", "|---|---|---|---|---|---|---|---|"]
    table += [f"| {r['portrait']} | {r['config']} | {r['schedule']} | "
              f"{_times(r['iterations_pixels'] / 1e6, r['work_ratio'], 1)} | "
              f"{_times(r['loss'], r['loss_ratio'], 5)} | "
              f"{_times(r['dlib_nme'], r['dlib_ratio'], 4)} | "
              f"{_times(r['judge_nme'], r['judge_ratio'], 4)} | {r['seconds']:.0f} "
              f"({r['load_average']:.1f}) |" for r in rows]
    write_json("presets", {"end_scale": END_SCALE, "style": "starry_night", "seed": 0,
                           "weights": "seeded random VGG-19 and FaceNet; real MTCNN, "
                                      "FaceMesh, dlib",
                           "rows": rows,
                           "curves": {f"{p}-{c}": r["curve"] for (p, c), r in runs.items()}})
    threads = sorted({r["threads"] for r in runs.values()})
    settings = (f"Style Starry Night, end scale {END_SCALE} px (128, 181, 256), seed 0, face "
                "terms at their defaults; SEEDED RANDOM VGG-19 and FaceNet, real MTCNN, "
                "FaceMesh and dlib. Cost is iterations·pixels (Σ iterations × width × height), "
                "in brackets against the default schedule's run on the same portrait where it "
                "exists; loss: the engine's style + content terms on the output at the end "
                "scale; NMEs in inter-ocular distances, lower is closer to the photo. Wall "
                "seconds with the 5-minute load average at the end of each run, one process per "
                f"run, {', '.join(map(str, threads))} thread(s) each, on a shared 2-core CPU. "
                f"Goal: ≤ {WORK_LIMIT:.0%} of the work, loss within {LOSS_TOLERANCE:.0%}, "
                f"dlib NME at most {NME_TOLERANCE:.0%} worse")
    missing = [p for p in PORTRAITS if (p, "default") not in runs]
    if missing:
        settings += (f". No default run yet for {', '.join(missing)}: no ratios there, and the "
                     "goal is not judged")
    append_section("Presets: time to the result (256 px)", settings, table)
    for r in rows:
        if r["config"] != "default" and meets_goal(r) is not None:
            print(f"{r['portrait']} {r['config']}: goal {'met' if meets_goal(r) else 'missed'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("run", help="one portrait with one configuration")
    one.add_argument("--portrait", choices=PORTRAITS, required=True)
    one.add_argument("--config", required=True,
                     help="default, a preset's name, or a label for --options")
    one.add_argument("--options", type=json.loads, default={},
                     help="a trial schedule as a JSON object of options")
    one.add_argument("--threads", type=int, default=1)
    table = commands.add_parser("report", help="compare the runs kept so far")
    table.add_argument("--configs", nargs="+", default=None,
                       help="default: every run kept, trial schedules too")
    every = commands.add_parser("all", help="every portrait with the default and each preset "
                                "(runs already kept are not run again), then report")
    every.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if args.command == "run":
        run(args.portrait, args.config, args.options, args.threads)
    elif args.command == "all":
        for portrait in PORTRAITS:
            for config in ("default", *PRESET_NAMES):
                if not run_path(portrait, config).exists():
                    run(portrait, config, {}, args.threads)
        report(list(PRESET_NAMES))
    else:
        report(args.configs)


if __name__ == "__main__":
    main()
