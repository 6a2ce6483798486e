"""Run Crowson's style-transfer-pytorch (commit 1107fe6) beside the engine on one seeded VGG-19
checkpoint and compare the outputs pixel by pixel.

The reference is not part of this repository: check it out yourself and pass its folder, e.g.
``git clone https://github.com/crowsonkb/style-transfer-pytorch REF && git -C REF checkout
1107fe6``, then ``python bench/compare_reference.py --reference REF``.

Both sides use the same checkpoint of seeded random VGG-19 weights (the ImageNet file cannot be
downloaded on the machines this was written on); the comparison is of the algorithm, not of art.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from torchvision.models import vgg19

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.engine import stylize  # noqa: E402
from backend.models.bundle import ModelBundle  # noqa: E402
from backend.weights import WeightsConfig  # noqa: E402
from bench.report import append_section, write_json  # noqa: E402
from shared.options import Options  # noqa: E402
from tests.photos import photo  # noqa: E402

CASES = [
    {"name": "max pooling, 1 style", "pooling": "max", "styles": ["starry_night"]},
    {"name": "average pooling", "pooling": "average", "styles": ["starry_night"]},
    {"name": "l2 pooling", "pooling": "l2", "styles": ["starry_night"]},
    {"name": "2 styles, weights 3:1", "pooling": "max", "styles": ["starry_night", "brick"],
     "style_weights": [3, 1]},
    {"name": "style_scale_fac 0.5", "pooling": "max", "styles": ["starry_night"],
     "style_scale_fac": 0.5},
    {"name": "style_size 200", "pooling": "max", "styles": ["gravel"], "style_size": 200},
]


def write_seeded_checkpoint(path: Path, seed: int = 1107) -> None:
    """A full torchvision-format VGG-19 state dict with seeded random weights."""
    torch.manual_seed(seed)
    torch.save(vgg19(weights=None).state_dict(), path)


def reference_style_transfer(reference: Path, pooling: str = "max"):
    """The reference's ``StyleTransfer`` on the CPU, from the checkout at ``reference``; its
    VGG-19 comes from ``$TORCH_HOME`` (set it to a folder holding the seeded checkpoint)."""
    # Load the one module directly: the package's __init__ pulls in its web interface.
    spec = importlib.util.spec_from_file_location(
        "crowson_style_transfer", reference / "style_transfer" / "style_transfer.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return module.StyleTransfer(devices=["cpu"], pooling=pooling)


def run_reference(reference: Path, case: dict, args: argparse.Namespace) -> np.ndarray:
    transfer = reference_style_transfer(reference, case["pooling"])
    transfer.stylize(photo(args.content), [photo(s) for s in case["styles"]],
                     style_weights=case.get("style_weights"), min_scale=args.min_scale,
                     end_scale=args.end_scale, iterations=args.iterations,
                     initial_iterations=args.initial_iterations,
                     style_scale_fac=case.get("style_scale_fac", 1.0),
                     style_size=case.get("style_size"))
    return transfer.average.get().detach()[0].clamp(0, 1).permute(1, 2, 0).numpy()


def run_engine(checkpoint: Path, case: dict, args: argparse.Namespace) -> np.ndarray:
    options = Options(face_weight=0, mesh_weight=0, pooling=case["pooling"],
                      min_scale=args.min_scale, end_scale=args.end_scale,
                      iterations=args.iterations, initial_iterations=args.initial_iterations,
                      style_scale_fac=case.get("style_scale_fac", 1.0),
                      style_size=case.get("style_size"))
    result = stylize(photo(args.content), [photo(s) for s in case["styles"]],
                     style_weights=case.get("style_weights"), options=options,
                     models=ModelBundle("cpu", WeightsConfig(vgg=checkpoint)))
    return result.pixels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, required=True,
                        help="checkout of crowsonkb/style-transfer-pytorch at 1107fe6")
    parser.add_argument("--content", default="astronaut")
    parser.add_argument("--min-scale", type=int, default=128)
    parser.add_argument("--end-scale", type=int, default=256)
    parser.add_argument("--iterations", type=int, default=40)
    parser.add_argument("--initial-iterations", type=int, default=60)
    parser.add_argument("--quick", action="store_true", help="only the first case")
    parser.add_argument("--cases", type=int, nargs="+", choices=range(1, len(CASES) + 1),
                        metavar="N", help="run only these cases, numbered from 1 in the order: "
                        + "; ".join(case["name"] for case in CASES))
    args = parser.parse_args()
    cases = [CASES[n - 1] for n in args.cases] if args.cases else CASES
    cases = cases[:1] if args.quick else cases
    rows = []
    with tempfile.TemporaryDirectory() as torch_home:
        os.environ["TORCH_HOME"] = torch_home
        checkpoint = Path(torch_home) / "hub" / "checkpoints" / "vgg19-dcbb9e9d.pth"
        checkpoint.parent.mkdir(parents=True)
        write_seeded_checkpoint(checkpoint)
        for case in cases:
            started = time.perf_counter()
            reference = run_reference(args.reference, case, args)
            ours = run_engine(checkpoint, case, args)
            diff = np.abs(reference - ours) * 255
            rows.append({"case": case["name"], "size": list(ours.shape[:2]),
                         "max_diff_255": float(diff.max()), "mean_diff_255": float(diff.mean()),
                         "seconds": round(time.perf_counter() - started, 1)})
            print(f"{case['name']:<24} max |ref-ours| = {diff.max():.2e}/255  "
                  f"mean = {diff.mean():.2e}/255", flush=True)
    settings = (f"content {args.content}, scales {args.min_scale}-{args.end_scale}, "
                f"{args.initial_iterations}+{args.iterations} iterations, CPU, seeded random "
                "VGG-19 (same checkpoint file on both sides)")
    write_json("compare_reference", {"settings": settings, "rows": rows})
    table = ["| case | output (h, w) | max diff (/255) | mean diff (/255) |",
             "|---|---|---|---|"]
    table += [f"| {r['case']} | {r['size'][0]}x{r['size'][1]} | {r['max_diff_255']:.2e} | "
              f"{r['mean_diff_255']:.2e} |" for r in rows]
    append_section("Engine vs Crowson's reference (1107fe6)", settings, table)


if __name__ == "__main__":
    main()
