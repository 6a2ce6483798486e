"""Candidate speed-ups of VGG-19's forward and backward pass, each against plain fp32, measured in
CPU time on one thread (so other processes' load changes the figures little).

    python bench/speed_candidates.py [--sizes 256 512] [--repeats 3]

One step = VGG-19 features of a ``(1, 3, S, S)`` image at the engine's layers (relu1_1 …
relu5_1, relu4_2), a scalar from them and its gradient to the image: what an iteration spends
~85 % of its time on (bench/RESULTS.md, "Where an iteration's time goes"). Variants, run in
turn within each repeat: plain fp32 (contiguous NCHW, the reference's layout); the image in
channels_last; oneDNN computing fp32 convolutions in bf16 (``torch.backends.mkldnn.conv.
fp32_precision = "bf16"``, on CPUs with AMX or AVX-512 BF16); bf16 autocast. Each row gives
its CPU time ÷ fp32's and the relative difference of the image gradient from fp32's
(0: bit-identical). Seeded random VGG-19.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
import warnings
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.engine.losses import CONTENT_LAYERS, STYLE_LAYERS  # noqa: E402
from backend.models.bundle import ModelBundle  # noqa: E402
from backend.weights import WeightsConfig  # noqa: E402
from bench.report import append_section, write_json  # noqa: E402

VARIANTS = ("fp32 (NCHW)", "channels_last input", "oneDNN bf16 math for fp32 convolutions",
            "bf16 autocast")


@contextlib.contextmanager
def variant_context(variant: str):
    if variant == VARIANTS[2]:
        old = torch.backends.mkldnn.conv.fp32_precision
        torch.backends.mkldnn.conv.fp32_precision = "bf16"
        try:
            yield
        finally:
            torch.backends.mkldnn.conv.fp32_precision = old
    elif variant == VARIANTS[3]:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            yield
    else:
        yield


def step(model, image: torch.Tensor, variant: str) -> torch.Tensor:
    """The image gradient of one forward and backward pass."""
    image = image.clone().requires_grad_()
    layers = [*STYLE_LAYERS, *CONTENT_LAYERS]
    with variant_context(variant):
        source = image.contiguous(memory_format=torch.channels_last) \
            if variant == VARIANTS[1] else image
        features = model(source, layers=layers)
    loss = sum(features[layer].float().pow(2).mean() for layer in layers)
    loss.backward()
    return image.grad


def measure(model, size: int, repeats: int) -> dict:
    image = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(0))
    reference = step(model, image, VARIANTS[0])
    seconds = dict.fromkeys(VARIANTS, 0.0)
    differences = {}
    for variant in VARIANTS:  # warm-up, and the gradient each variant gives
        grad = step(model, image, variant)
        differences[variant] = float((grad - reference).norm() / reference.norm())
    for _ in range(repeats):
        for variant in VARIANTS:
            started = time.process_time()
            step(model, image, variant)
            seconds[variant] += time.process_time() - started
    return {"size": size, "ms": {v: round(s / repeats * 1000, 1) for v, s in seconds.items()},
            "gradient_relative_difference": differences}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    model = ModelBundle("cpu", WeightsConfig(allow_random=True)).vgg("max")
    rows = [measure(model, size, args.repeats) for size in args.sizes]
    load = os.getloadavg()[0]
    write_json("speed-candidates", {"rows": rows, "load_average": round(load, 2)})
    table = ["| variant | " + " | ".join(f"{r['size']} px: CPU ms (÷ fp32) | gradient diff"
                                        for r in rows) + " |",
             "|---|" + "---|---|" * len(rows)]
    for variant in VARIANTS:
        cells = [f"{r['ms'][variant]} ({r['ms'][variant] / r['ms'][VARIANTS[0]]:.2f}) | "
                 f"{r['gradient_relative_difference'][variant]:.1e}" for r in rows]
        table.append(f"| {variant} | " + " | ".join(cells) + " |")
    settings = (f"`python bench/speed_candidates.py`: VGG-19 forward + backward to the image, "
                f"CPU time on 1 thread, mean of {args.repeats} after a warm-up, seeded random "
                f"VGG-19; gradient diff = ‖g − g_fp32‖ / ‖g_fp32‖; load average {load:.1f}")
    append_section("Speed-up candidates for VGG-19 (CPU)", settings, table)


if __name__ == "__main__":
    main()
