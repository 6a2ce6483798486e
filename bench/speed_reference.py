"""The engine's speed beside Crowson's reference: ``python bench/speed.py --reference REF``.

One process, one seeded VGG-19 checkpoint on both sides, the CPU, the astronaut (a portrait
with one face) against Starry Night at one scale. Each round times, at every size, the engine
with its face terms on at their defaults, the reference (style only, its only mode), the
engine style only (the exact-Crowson path) and the engine with face terms and
``--preset draft`` with ``precision auto`` (the precision a preset chooses: bf16 autocast on a
CPU with AMX, fp32 on one without; backend/models/precision.py), at the same iterations as the
others (the timed scale's iteration count is set explicitly, so only the preset's precision and
average decay apply), in an order reversed every other round so a
drift in the machine's load falls on all alike. The ratios are of the mean ms/iteration over
the rounds; the load average is read before and after each run.
"""

from __future__ import annotations

import contextlib
import io
import os
import statistics
import sys
import tempfile
from pathlib import Path

import torch

from backend.models.bundle import ModelBundle
from backend.models.precision import autocast_dtype
from backend.weights import WeightsConfig
from bench.compare_reference import reference_style_transfer, write_seeded_checkpoint
from bench.report import append_section, write_json
from bench.speed import CLOCK_WORDS, CLOCKS, WARMUP, measure
from shared.presets import prefers_speed
from tests.photos import photo

VARIANTS = ("engine, face terms", "reference, style only", "engine, style only",
            "engine, face terms, --preset draft")


def measure_reference(transfer, size: int, iterations: int, clock: str) -> float:
    """The reference's ms/iteration at one scale of long side ``size``, after warm-up."""
    stamps: list[float] = []
    with contextlib.redirect_stdout(io.StringIO()):  # it prints each scale's set-up
        transfer.stylize(photo("astronaut"), [photo("starry_night")], min_scale=size,
                         end_scale=size, initial_iterations=iterations + WARMUP,
                         callback=lambda _: stamps.append(CLOCKS[clock]()))
    timed = stamps[WARMUP:]
    return (timed[-1] - timed[0]) / (len(timed) - 1) * 1000


def _run(variant: str, size: int, iterations: int, models: ModelBundle, transfer,
         clock: str) -> float:
    if variant == VARIANTS[1]:
        return measure_reference(transfer, size, iterations, clock)
    faces = variant in (VARIANTS[0], VARIANTS[3])
    preset = "draft" if variant == VARIANTS[3] else "none"
    return measure(models, size, iterations, faces, clock,
                   preset=preset)["ms_per_iteration"]


def compare(reference: Path, sizes: list[int], iterations: int, rounds: int,
            clock: str = "wall") -> None:
    """Time the three variants at ``sizes`` in ``rounds`` interleaved rounds; print and record
    the table (bench/RESULTS.md, bench/results/speed-reference.json)."""
    times = {(v, s): [] for v in VARIANTS for s in sizes}
    loads: list[float] = []
    with tempfile.TemporaryDirectory() as torch_home:
        os.environ["TORCH_HOME"] = torch_home
        checkpoint = Path(torch_home) / "hub" / "checkpoints" / "vgg19-dcbb9e9d.pth"
        checkpoint.parent.mkdir(parents=True)
        write_seeded_checkpoint(checkpoint)
        transfer = reference_style_transfer(reference)
        models = ModelBundle("cpu", WeightsConfig(vgg=checkpoint, allow_random=True))
        for round_index in range(rounds):
            order = VARIANTS if round_index % 2 == 0 else VARIANTS[::-1]
            for size in sizes:
                for variant in order:
                    loads.append(os.getloadavg()[0])
                    ms = _run(variant, size, iterations, models, transfer, clock)
                    loads.append(os.getloadavg()[0])
                    times[(variant, size)].append(ms)
                    print(f"round {round_index + 1} {size:>4} px {variant:<30} {ms:8.1f} "
                          f"ms/iteration  (load average {loads[-1]:.1f})", flush=True)
    _report(times, sizes, iterations, rounds, loads, models, clock)


def _report(times: dict, sizes: list[int], iterations: int, rounds: int, loads: list[float],
            models: ModelBundle, clock: str) -> None:
    mean = {key: statistics.mean(values) for key, values in times.items()}
    rows = []
    for size in sizes:
        ref = mean[(VARIANTS[1], size)]
        rows.append({"size": size, **{v: round(mean[(v, size)], 1) for v in VARIANTS},
                     "faces_over_reference": round(mean[(VARIANTS[0], size)] / ref, 3),
                     "style_over_reference": round(mean[(VARIANTS[2], size)] / ref, 3),
                     "faces_draft_over_reference": round(mean[(VARIANTS[3], size)] / ref, 3),
                     "runs_ms": {v: [round(t, 1) for t in times[(v, size)]] for v in VARIANTS}})
    load = f"{min(loads):.1f}-{max(loads):.1f} (mean {statistics.mean(loads):.1f})"
    threads = torch.get_num_threads()
    draft = str(autocast_dtype("auto", models.device, prefer_speed=prefers_speed("draft"))
                or torch.float32).removeprefix("torch.")
    write_json("speed-reference", {"rows": rows, "load_average": load, "rounds": rounds,
                                   "preset_draft_precision": draft,
                                   "clock": clock, "threads": threads,
                                   "iterations": iterations, "weights": models.weights_used})
    table = ["| size (long side) | engine, face terms (ms/it) | reference, style only (ms/it) "
             f"| engine, style only (ms/it) | engine, face terms, preset draft precision ({draft}) "
             "(ms/it) | face terms ÷ reference | style only ÷ reference "
             "| face terms, preset draft precision ÷ reference |",
             "|---|---|---|---|---|---|---|---|"]
    table += [f"| {r['size']} | {r[VARIANTS[0]]} | {r[VARIANTS[1]]} | {r[VARIANTS[2]]} | "
              f"{r[VARIANTS[3]]} | {r['faces_over_reference']:.2f} | "
              f"{r['style_over_reference']:.2f} | {r['faces_draft_over_reference']:.2f} |"
              for r in rows]
    settings = (f"`python bench/speed.py {' '.join(sys.argv[1:])}` (Crowson's "
                f"style-transfer-pytorch at 1107fe6): one process, one seeded random VGG-19 "
                f"checkpoint on both sides "
                f"(FaceNet seeded random too), astronaut vs Starry Night at one scale; "
                f"{iterations} timed iterations after {WARMUP} warm-up, {rounds} interleaved "
                f"rounds (means); {threads} thread(s), {CLOCK_WORDS[clock]}; load average "
                f"{load} during the run")
    append_section("Engine vs reference, ms per iteration (CPU)", settings, table)
