"""Does a tiled run look like the untiled one? Seams, one style, faces (issue 11).

    python bench/tiles_quality.py [--size 1024] [--tile-size 256] [--iterations 24]
                                  [--device cpu]

Four runs of the same job on the astronaut portrait (style Starry Night, the default face
terms, one scale of ``--size`` px, ``--iterations`` Adam steps of size 0.05, seeded random
VGG-19 and FaceNet): untiled; tiled on the moving grid; the same with each tile's own Gram
matrices held to the style targets (the tiled style term before the whole image's Gram was
used, a control); and tiled on a fixed grid that never moves (the negative control, which must
show its borders).

- Seams: on the result's distance to the content, averaged along each inner border of the
  fixed grid, the one-pixel step across the border over the mean of the
  ``NEIGHBOURS`` one-pixel steps just inside and outside it, averaged over the borders (the
  measure tests/engine/test_faces_seams.py takes at face crops); about 1 for no seam.
- One style: the style loss of each result against the style's Gram targets at that size
  (untiled VGG-19 features, the loss's own scaled squared error), tiled ÷ untiled; and the mean
  absolute difference of the tiled and untiled results (0-1 scale).
- Faces: dlib's 68-point NME (tests/dlib_judge.py) of each result against the content, on the
  face the tile borders cross.
- Time: seconds per iteration (the scale's time, targets and the tiled step's first gathering
  pass included, over its iterations), each run ÷ the untiled run of the same invocation.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.engine import stylize  # noqa: E402
from backend.engine.images import prepare  # noqa: E402
from backend.engine.losses import StyleLoss, style_targets  # noqa: E402
from backend.engine.tiles import MovingGrid, Tile, TilePass, tile_grid  # noqa: E402
from backend.models.bundle import ModelBundle  # noqa: E402
from backend.weights import WeightsConfig  # noqa: E402
from bench.report import append_section, write_json  # noqa: E402
from shared.options import Options  # noqa: E402
from tests.dlib_judge import judge_face, landmark_error  # noqa: E402
from tests.photos import photo  # noqa: E402

NEIGHBOURS = 4
# the module (backend.engine re-exports its function under the same name)
stylize_module = importlib.import_module("backend.engine.stylize")
WEIGHTS = "seeded random VGG-19 and FaceNet"


class FixedGrid(MovingGrid):
    """The negative control: the iteration grid that never moves."""

    def next(self, size_hw: tuple[int, int]) -> list[Tile]:
        return tile_grid(size_hw, self.tile_size, self.margin)


def per_tile_grams(self: StyleLoss, features: dict, targets: dict, part: TilePass) -> dict:
    """The control's style term: the Gram matrices of the tile's whole window against the
    targets, weighted by the core's share of the pixels (each tile held to the whole style)."""
    return {"style": self.losses(features, targets)["style"] * part.share}


def border_positions(size_hw: tuple[int, int], tile_size: int) -> tuple[list[int], list[int]]:
    """Rows and columns where the fixed grid's inner tile borders lie."""
    tiles = FixedGrid(tile_size).next(size_hw)
    rows = sorted({t.rows.core[0] for t in tiles} - {0})
    cols = sorted({t.cols.core[0] for t in tiles} - {0})
    return rows, cols


def seam_ratio(distance: np.ndarray, rows: list[int], cols: list[int]) -> float:
    """Mean over the borders of the step across each over the steps beside it (see module)."""
    ratios = []
    for profile, positions in ((distance.mean(axis=1), rows), (distance.mean(axis=0), cols)):
        steps = np.abs(np.diff(profile))  # steps[i]: from pixel i to i + 1
        for border in positions:
            across = steps[border - 1]
            beside = np.concatenate([steps[border - 1 - NEIGHBOURS: border - 1],
                                     steps[border: border + NEIGHBOURS]]).mean()
            ratios.append(across / beside)
    return float(np.mean(ratios))


def style_distance(models: ModelBundle, result: np.ndarray, style: Image.Image,
                   options: Options) -> float:
    """The style loss of ``result`` ``(H, W, 3)`` in [0, 1] at its own size, untiled."""
    image = torch.from_numpy(result[..., :3]).permute(2, 0, 1)[None].to(models.device)
    term = StyleLoss([prepare(style)], [1.0], options, models.device)
    targets = style_targets(models.vgg(), term.styles, [1.0], max(result.shape[:2]),
                            options.replace(tile_size=0), models.device)
    with torch.no_grad():
        features = models.vgg()(image, layers=list(StyleLoss.vgg_layers))
        return float(term.losses(features, targets)["style"])


def seconds_per_iteration(result) -> float:
    """The run's one scale: its seconds over its iterations."""
    timings = result.metadata["timings"]
    return timings["scales_s"][0] / result.metadata["iterations_run"][0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--tile-size", type=int, default=256)
    parser.add_argument("--iterations", type=int, default=24)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    warnings.simplefilter("ignore")
    models = ModelBundle(args.device, WeightsConfig(allow_random=True))
    content = photo("astronaut").resize((args.size, args.size), Image.LANCZOS)
    style = photo("starry_night")
    base = Options(min_scale=args.size, end_scale=args.size, initial_iterations=args.iterations,
                   step_size=0.05)
    loads = [round(os.getloadavg()[0], 1)]
    results = {}
    global_grams = StyleLoss.tile_losses
    runs = (("untiled", 0, MovingGrid, global_grams),
            ("moving grid", args.tile_size, MovingGrid, global_grams),
            ("moving grid, per-tile Grams", args.tile_size, MovingGrid, per_tile_grams),
            ("fixed grid", args.tile_size, FixedGrid, global_grams))
    for mode, tile_size, grid, style_term in runs:
        stylize_module.MovingGrid = grid  # the control swaps in a grid that never moves
        StyleLoss.tile_losses = style_term
        results[mode] = stylize(content, [style], options=base.replace(tile_size=tile_size),
                                models=models)
        loads.append(round(os.getloadavg()[0], 1))
    stylize_module.MovingGrid = MovingGrid
    StyleLoss.tile_losses = global_grams
    reference = np.asarray(content, dtype=np.float32) / 255
    rows, cols = border_positions((args.size, args.size), args.tile_size)
    box = results["untiled"].metadata["faces"]["terms"]["scales"][-1]["faces"][0]["box"]
    crossing = [p for p in rows if box[1] < p < box[3]] + [p for p in cols if box[0] < p < box[2]]
    judged_content = judge_face(content, box)
    untiled = results["untiled"].pixels[..., :3]
    untiled_style = style_distance(models, untiled, style, base)
    table_rows = []
    untiled_time = seconds_per_iteration(results["untiled"])
    for mode, result in results.items():
        pixels = result.pixels[..., :3]
        distance = np.abs(pixels - reference).mean(axis=2)
        table_rows.append({
            "mode": mode, "seam_ratio": round(seam_ratio(distance, rows, cols), 3),
            "style_loss_over_untiled": round(style_distance(models, pixels, style, base)
                                             / untiled_style, 3),
            "mean_abs_difference_to_untiled": round(float(np.abs(pixels - untiled).mean()), 4),
            "dlib_nme": round(landmark_error(judged_content, judge_face(pixels, box)), 4),
            "seconds_per_iteration": round(seconds_per_iteration(result), 2),
            "time_over_untiled": round(seconds_per_iteration(result) / untiled_time, 2)})
    write_json(f"tiles-quality-{args.size}px-{args.iterations}it-{args.device}", {
        "size": args.size, "tile_size": args.tile_size, "iterations": args.iterations,
        "border_rows": rows, "border_cols": cols, "face_box": box,
        "borders_crossing_the_face": crossing, "rows": table_rows, "load_averages": loads,
        "weights": WEIGHTS})
    table = ["| run | seam ratio | style loss ÷ untiled | mean abs diff to untiled | dlib NME "
             "| s per iteration | time ÷ untiled |", "|---|---|---|---|---|---|---|"]
    table += [f"| {r['mode']} | {r['seam_ratio']} | {r['style_loss_over_untiled']} | "
              f"{r['mean_abs_difference_to_untiled']} | {r['dlib_nme']} | "
              f"{r['seconds_per_iteration']} | {r['time_over_untiled']} |" for r in table_rows]
    settings = (f"Astronaut at {args.size}x{args.size}, style Starry Night, default face terms, "
                f"one scale of {args.iterations} iterations at step size 0.05, {WEIGHTS}; "
                f"{args.tile_size}-px tiles, {args.threads} thread(s); seams measured at the "
                f"fixed grid's borders (rows {rows}, columns {cols}; {len(crossing)} cross the "
                f"face box); load averages {loads}")
    append_section(f"Tiled quality ({args.size} px, {args.tile_size}-px tiles, {args.device})",
                   settings, table)


if __name__ == "__main__":
    main()
