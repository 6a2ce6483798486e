"""What the face terms buy and cost: face terms off, the paper's defaults, and a stronger setting.

For each photo (four portraits and a group) and setting, one stylization with Starry Night,
then, on the output: the style and content losses (the engine's own terms, recomputed on the
final image at the end scale), the FaceMesh landmarks' NME from the result's metadata, and
dlib's 68-point landmark error and identity distance (an independent judge). The cost of the
face terms: one forward+backward of them alone at the end scale, against the same for the style
terms (best of several, so a busy shared machine disturbs it least); the JSON file also keeps
each run's mean ms per iteration at the last scale. Run ``python bench/faces.py [--quick]``.

VGG-19 and FaceNet are seeded random here (their checkpoints cannot be fetched on this
machine): the losses and the faces' fate say what the terms do to the optimisation, not how the
art looks with real weights. MTCNN, FaceMesh and dlib are real.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.engine import Result, stylize  # noqa: E402
from backend.engine.faces import FaceGuide  # noqa: E402
from backend.engine.images import prepare  # noqa: E402
from backend.engine.losses import ContentLoss, StyleLoss, TVLoss  # noqa: E402
from backend.engine.schedule import size_to_fit  # noqa: E402
from backend.engine.terms import ScaleInputs  # noqa: E402
from backend.models.bundle import ModelBundle  # noqa: E402
from backend.models.vgg import in_network_order  # noqa: E402
from backend.weights import RandomWeightsWarning, WeightsConfig  # noqa: E402
from bench.report import append_section, write_json  # noqa: E402
from shared.options import Options  # noqa: E402
from tests.dlib_judge import identity_distance, judge_face, landmark_error  # noqa: E402
from tests.photos import photo  # noqa: E402

SETTINGS = {"off": (0.0, 0.0), "paper defaults": (0.015, 0.0), "strong": (0.25, 0.015)}
# messi5.jpg is cropped round the player so his face is ~27 px at 256 px, above MTCNN's 20 px.
PHOTOS = {"astronaut": None, "portrait_a": None, "portrait_b": None,
          "messi": (120, 20, 392, 190), "group": None}
FULL = {"min_scale": 128, "end_scale": 256, "initial_iterations": 30, "iterations": 10}
QUICK = {"min_scale": 128, "end_scale": 128, "initial_iterations": 30, "iterations": 30}
# Short runs need a larger step than Crowson's 0.02 for the style to reach the face at all.
STEP_SIZE = 0.05
TIMINGS = 10


def content_photo(name: str) -> Image.Image:
    image = photo(name)
    return image.crop(PHOTOS[name]) if PHOTOS[name] else image


def as_tensor(pixels: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(pixels[..., :3])).permute(2, 0, 1)[None]


def crowson_objective(content_image: torch.Tensor, style: Image.Image, options: Options,
                      models: ModelBundle) -> Callable[[torch.Tensor], dict[str, torch.Tensor]]:
    """The engine's content, style and TV terms at the end scale against ``content_image``
    ``(1, 3, H, W)``: a function of an image of that size to the named terms."""
    model = models.vgg(options.pooling)
    terms = [ContentLoss(options.content_weight, device=models.device),
             StyleLoss([prepare(style)], [1.0], options, models.device),
             TVLoss(options.tv_weight, models.device)]
    inputs = ScaleInputs(options.end_scale, content_image, model)
    with torch.no_grad():
        prepared = [(term, term.prepare(inputs)) for term in terms]
    layers = in_network_order([layer for term in terms for layer in term.vgg_layers])

    def objective(image: torch.Tensor) -> dict[str, torch.Tensor]:
        features = model(image, layers=layers)
        return {name: value for term, targets in prepared
                for name, value in term.losses(features, targets).items()}

    return objective


def final_losses(result: Result, content: Image.Image, style: Image.Image, options: Options,
                 models: ModelBundle) -> dict[str, float]:
    """The engine's content and style terms for the output image, at the end scale."""
    h, w = result.pixels.shape[:2]
    objective = crowson_objective(prepare(content).tensor((w, h)).to(models.device), style,
                                  options, models)
    with torch.no_grad():
        terms = objective(as_tensor(result.pixels).to(models.device))
    return {"style": float(terms["style"]), "content": float(terms["content"])}


def judged(result: Result, content: Image.Image, options: Options,
           models: ModelBundle) -> dict[str, float]:
    """dlib's mean 68-point error and identity distance over the content's faces (those the face
    terms would use: confident enough and large enough)."""
    h, w = result.pixels.shape[:2]
    reference_pixels = np.asarray(content.resize((w, h), Image.LANCZOS))
    found = models.face_detector().detect(reference_pixels, min_size=options.min_face_size)
    errors, distances = [], []
    for box, probability in zip(found.boxes, found.probabilities, strict=True):
        if (probability < options.face_threshold
                or min(box[2] - box[0], box[3] - box[1]) < options.min_face_size):
            continue
        reference = judge_face(reference_pixels, tuple(box))
        other = judge_face(result.pixels, tuple(box))
        errors.append(landmark_error(reference, other))
        distances.append(identity_distance(reference, other))
    if not errors:
        return {"dlib_nme": float("nan"), "dlib_identity": float("nan"), "dlib_faces": 0}
    return {"dlib_nme": statistics.fmean(errors), "dlib_identity": statistics.fmean(distances),
            "dlib_faces": len(errors)}


def best_ms(*actions: Callable[[], object]) -> list[float]:
    """Best of ``TIMINGS`` runs of each action after one warm-up, the actions interleaved so a
    burst of load on the shared machine disturbs them alike."""
    times: list[list[float]] = [[] for _ in actions]
    for _ in range(TIMINGS + 1):
        for action, record in zip(actions, times, strict=True):
            started = time.perf_counter()
            action()
            record.append(1000 * (time.perf_counter() - started))
    return [min(record[1:]) for record in times]


def cost_ms(content: Image.Image, style: Image.Image, options: Options,
            models: ModelBundle) -> dict[str, float]:
    """Forward+backward at the end scale of the engine's style terms (VGG-19) and of the face
    terms alone, on the same image."""
    size = size_to_fit(content.size, options.end_scale, scale_up=True)
    image = prepare(content).tensor(size).to(models.device)
    objective = crowson_objective(image, style, options, models)
    face_terms = FaceGuide(content.size, options, models).for_scale(image)
    moved = image.add(0.05).clamp(0, 1)

    def style_step() -> None:
        x = moved.clone().requires_grad_()
        sum(objective(x).values()).backward()

    def face_step() -> None:
        x = moved.clone().requires_grad_()
        sum(face_terms(x).values()).backward()

    if face_terms is None:
        return {}
    style_ms, face_ms = best_ms(style_step, face_step)
    return {"style_terms_ms": style_ms, "face_terms_ms": face_ms}


def judge_columns(fidelity: list[dict]) -> dict:
    """The fidelity report's independent columns: the largest texture ratio of any face, how
    many faces exceed their bound, the keypoint judge's mean NME over the faces it still finds,
    and how many it lost."""
    found = [f["keypoint_nme"] for f in fidelity if f["keypoint_nme"] is not None]
    return {"texture_max": max((f["texture_ratio"] for f in fidelity), default=float("nan")),
            "texture_exceeding": sum(f["texture_exceeds"] for f in fidelity),
            "judge_nme": statistics.fmean(found) if found else float("nan"),
            "judge_lost": len(fidelity) - len(found)}


def bench_one(name: str, setting: str, schedule: dict, style: Image.Image,
              models: ModelBundle) -> dict:
    face_weight, mesh_weight = SETTINGS[setting]
    options = Options(**schedule, step_size=STEP_SIZE, face_weight=face_weight,
                      mesh_weight=mesh_weight)
    content = content_photo(name)
    result = stylize(content, [style], options=options, models=models)
    fidelity = result.metadata["faces"]["fidelity"]
    last_scale_s = result.metadata["timings"]["scales_s"][-1]
    last_iterations = options.iterations if len(result.metadata["scales"]) > 1 \
        else options.initial_iterations
    row = {"photo": name, "setting": setting, "face_weight": face_weight,
           "mesh_weight": mesh_weight, "size": result.metadata["size"],
           "faces": len(fidelity),
           "mesh_nme": statistics.fmean(f["nme"] for f in fidelity)
           if fidelity else float("nan"),
           **judge_columns(fidelity),
           "ms_per_iteration": 1000 * last_scale_s / last_iterations,
           **final_losses(result, content, style, options, models),
           **judged(result, content, options, models)}
    if options.faces_enabled:
        row.update(cost_ms(content, style, options, models))
    print(f"{name:11s} {setting:15s} FaceMesh nme {row['mesh_nme']:.4f} dlib nme "
          f"{row['dlib_nme']:.4f} id {row['dlib_identity']:.3f}", flush=True)
    return row


def table(rows: list[dict]) -> list[str]:
    lines = ["| photo | setting (face, mesh) | faces | style loss | content loss | FaceMesh "
             "NME | keypoint judge NME (lost) | max texture ratio (faces above bound) | "
             "dlib 68-pt NME | dlib identity dist. | face terms ms / it |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        cost = "–"
        if "face_terms_ms" in r:
            share = 100 * r["face_terms_ms"] / r["style_terms_ms"]
            cost = f"{r['face_terms_ms']:.0f} (+{share:.0f} %)"
        lines.append(
            f"| {r['photo']} | {r['setting']} ({r['face_weight']:g}, {r['mesh_weight']:g}) | "
            f"{r['faces']} | {r['style']:.4f} | {r['content']:.4f} | "
            f"{r['mesh_nme']:.4f} | {r['judge_nme']:.4f} ({r['judge_lost']}) | "
            f"{r['texture_max']:.2f} ({r['texture_exceeding']}) | "
            f"{r['dlib_nme']:.4f} | {r['dlib_identity']:.3f} | "
            f"{cost} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="one 128 px scale of 30 iterations instead of 128-256 px")
    parser.add_argument("--photos", nargs="+", choices=list(PHOTOS), default=list(PHOTOS))
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (default 1: on a busy 2-core machine OpenMP's "
                             "waiting threads slow the face terms' small operations many times "
                             "over and make the cost figures meaningless)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    schedule = QUICK if args.quick else FULL
    models = ModelBundle("cpu", WeightsConfig(allow_random=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RandomWeightsWarning)
        models.vgg()
        models.facenet(Options().face_layers)
    style = photo("starry_night")
    started = time.perf_counter()
    rows = [bench_one(name, setting, schedule, style, models)
            for name in args.photos for setting in SETTINGS]
    weights = {**models.weights_used, "dlib": "dlib-bin + face-recognition-models"}
    real = sorted(k for k, v in weights.items() if v != "seeded random")
    random = sorted(k for k, v in weights.items() if v == "seeded random")
    iterations = (f"{schedule['initial_iterations']}" if schedule is QUICK else
                  f"{schedule['initial_iterations']}+{schedule['iterations']}")
    settings = (f"Style Starry Night; scales {schedule['min_scale']}-{schedule['end_scale']} px, "
                f"{iterations} iterations, step "
                f"{STEP_SIZE}, face crops on the face oval (feather 0.15), face_blur "
                f"{Options().face_blur:g}. Real weights: {', '.join(real)}; "
                f"SEEDED RANDOM weights: {', '.join(random)}. Losses are the engine's weighted "
                "terms on the output; NMEs are in inter-ocular distances (lower is "
                "closer to the content), identity distance is dlib's (same person below 0.6); "
                "face terms ms / it: forward+backward of the face terms at the end scale, best "
                f"of {TIMINGS}, and its share of the style terms' forward+backward; "
                f"{time.perf_counter() - started:.0f} s in all, load average "
                f"{os.getloadavg()[1]:.1f}"
                + (" (--quick)" if args.quick else ""))
    write_json("faces" + ("-quick" if args.quick else ""),
               {"schedule": schedule, "step_size": STEP_SIZE, "weights": weights,
                "load_average": os.getloadavg()[1], "rows": rows})
    append_section("Faces" + (" (quick)" if args.quick else ""), settings, table(rows))


if __name__ == "__main__":
    main()
