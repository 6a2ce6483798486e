"""Where an iteration's time goes: the engine's loop taken apart stage by stage.

    python bench/profile_iteration.py [--sizes 256 512] [--iterations 5] [--threads N]
                                      [--clock wall|cpu]

One scale of the astronaut (a portrait with one face) against Starry Night, face terms on at
their defaults, seeded random VGG-19 and FaceNet. Each stage of ``backend.engine.stylize``'s
iteration is run in the loop's order and timed on its own: VGG-19 forward, the Gram matrices,
the content/style/TV losses, the face terms (forward), the backward pass of everything, Adam and
the clamp, the iterate average, the progress event, and a preview (the loop makes one every
``preview_interval`` iterations; its cost is per call). The backward pass is split by timing
the face terms' own forward and backward in extra iterations.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections import defaultdict
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.engine.background import BackgroundPlan  # noqa: E402
from backend.engine.events import ProgressEvent  # noqa: E402
from backend.engine.faces import FaceGuide  # noqa: E402
from backend.engine.images import prepare  # noqa: E402
from backend.engine.losses import STYLE_LAYERS, gram  # noqa: E402
from backend.engine.objective import loss_terms, vgg_layers  # noqa: E402
from backend.engine.schedule import IterateAverage, size_to_fit  # noqa: E402
from backend.engine.stylize import _loss_values, _prepare_terms, _preview  # noqa: E402
from backend.engine.terms import Job, ScaleInputs  # noqa: E402
from backend.models.bundle import ModelBundle  # noqa: E402
from backend.weights import WeightsConfig  # noqa: E402
from bench.report import append_section, write_json  # noqa: E402
from bench.speed import CLOCKS, add_timing_flags  # noqa: E402
from shared.options import Options  # noqa: E402
from tests.photos import photo  # noqa: E402

WARMUP = 2
STAGES = ("VGG-19 forward", "Gram matrices", "content, style, TV losses", "face terms forward",
          "backward (all)", "Adam step + clamp", "iterate average", "progress event")


class Stopwatch:
    """Accumulates seconds per stage name."""

    def __init__(self, clock=time.perf_counter) -> None:
        self.clock = clock
        self.seconds: dict[str, float] = defaultdict(float)
        self.last = clock()

    def lap(self, stage: str | None) -> None:
        now = self.clock()
        if stage is not None:
            self.seconds[stage] += now - self.last
        self.last = now


def scale_setup(models: ModelBundle, size: int) -> tuple:
    """The prepared terms of one scale, its VGG layers and a fresh iterate."""
    options = Options(min_scale=size, end_scale=size)
    content = prepare(photo("astronaut"))
    job = Job(content, [prepare(photo("starry_night"))], [1.0], options, [size],
              BackgroundPlan("keep", content), None, None)
    terms = loss_terms(job, models)
    w, h = size_to_fit(content.size, size, scale_up=True)
    content_image = content.tensor((w, h))
    model = models.vgg(options.pooling)
    prepared = _prepare_terms(terms, ScaleInputs(size, content_image, model))
    if not any(isinstance(term, FaceGuide) for term, _ in prepared):
        raise SystemExit("no face found in the astronaut: the face terms would be off")
    image = content_image.clone().requires_grad_()
    return model, vgg_layers(options), prepared, image, options


def iteration(model, layers, prepared, image, optimizer, average, watch) -> None:
    """One iteration of the loop, each stage timed (``watch``); mirrors ``stylize``."""
    watch.lap(None)
    optimizer.zero_grad()
    features = model(image, layers=layers)
    watch.lap("VGG-19 forward")
    grams = {layer: gram(features[layer]) for layer in STYLE_LAYERS}
    watch.lap("Gram matrices")
    losses = {}
    for term, targets in prepared:
        if isinstance(term, FaceGuide):
            continue
        if term.names == ("style",):  # the Grams just computed, as StyleLoss.losses does
            losses["style"] = sum(
                (gram_matrix - targets[layer]).pow(2).sum()
                / (gram_matrix - targets[layer]).abs().sum().add(1e-8)
                * term.layer_weights[layer] for layer, gram_matrix in grams.items())
        else:
            losses.update(term.losses(features, targets))
    watch.lap("content, style, TV losses")
    for term, targets in prepared:
        if isinstance(term, FaceGuide):
            losses.update(term.losses(features, targets))
    watch.lap("face terms forward")
    loss = sum(losses.values())
    loss.backward()
    watch.lap("backward (all)")
    optimizer.step()
    with torch.no_grad():
        image.clamp_(0, 1)
    watch.lap("Adam step + clamp")
    average.update(image)
    watch.lap("iterate average")
    ProgressEvent(0, 1, image.shape[3], image.shape[2], 1, 1, _loss_values(loss, losses))
    watch.lap("progress event")


def face_only(prepared, image, watch) -> None:
    """The face terms' forward and backward alone (to split the backward pass)."""
    watch.lap(None)
    for term, targets in prepared:
        if isinstance(term, FaceGuide):
            face_losses = term.losses({"input": image}, targets)
            watch.lap("face forward (alone)")
            sum(face_losses.values()).backward()
            watch.lap("face backward (alone)")
    image.grad = None


def profile(models: ModelBundle, size: int, iterations: int, clock) -> dict:
    model, layers, prepared, image, options = scale_setup(models, size)
    optimizer = torch.optim.Adam([image], lr=options.step_size)
    average = IterateAverage(image.detach(), options.avg_decay)
    watch = Stopwatch(clock)
    for i in range(WARMUP + iterations):
        if i == WARMUP:
            watch = Stopwatch(clock)
        iteration(model, layers, prepared, image, optimizer, average, watch)
    for _ in range(iterations):
        face_only(prepared, image, watch)
    started = clock()
    for _ in range(iterations):
        _preview(average.get())
    watch.seconds["preview (per call)"] = clock() - started
    ms = {stage: round(s / iterations * 1000, 1) for stage, s in watch.seconds.items()}
    ms["iteration (sum of stages)"] = round(sum(ms[stage] for stage in STAGES), 1)
    ms["backward, VGG-19 part (all − face)"] = round(
        ms["backward (all)"] - ms["face backward (alone)"], 1)
    return {"size": size, "hw": list(image.shape[2:]), "ms": ms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--iterations", type=int, default=5)
    add_timing_flags(parser)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if args.threads:
        torch.set_num_threads(args.threads)
    models = ModelBundle("cpu", WeightsConfig(allow_random=True))
    rows = [profile(models, size, args.iterations, CLOCKS[args.clock]) for size in args.sizes]
    load = os.getloadavg()[0]
    write_json("profile-iteration", {"rows": rows, "load_average": round(load, 2),
                                     "clock": args.clock,
                                     "weights": models.weights_used})
    names = [*STAGES, "iteration (sum of stages)", "face forward (alone)",
             "face backward (alone)", "backward, VGG-19 part (all − face)", "preview (per call)"]
    table = ["| stage | " + " | ".join(f"{r['size']} px ms | share" for r in rows) + " |",
             "|---|" + "---|---|" * len(rows)]
    for name in names:
        cells = []
        for r in rows:
            total = r["ms"]["iteration (sum of stages)"]
            share = f"{r['ms'][name] / total:.0%}" if name in STAGES else ""
            cells.append(f"{r['ms'][name]} | {share}")
        table.append(f"| {name} | " + " | ".join(cells) + " |")
    settings = (f"One scale, astronaut (1 face) vs Starry Night, face terms on at their "
                f"defaults, seeded random VGG-19 and FaceNet, {torch.get_num_threads()} "
                f"threads, {args.clock} clock; {args.iterations} timed iterations after "
                f"{WARMUP} warm-up; load "
                f"average {load:.1f} at the end. `python bench/profile_iteration.py "
                f"{' '.join(sys.argv[1:])}`")
    append_section("Where an iteration's time goes (CPU, face terms on)", settings, table)


if __name__ == "__main__":
    main()
