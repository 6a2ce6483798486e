"""What the face terms buy and cost, face by face (issue 9): identity and shape kept, no maze,
no box, and the style still in the face.

For each photo and setting, one stylization with Starry Night; then, for every face MTCNN
finds in the content at the output size (as the face terms and the fidelity report find them):
dlib's 68-point NME and identity distance against the content (an independent judge), the
texture ratio and its bound (the fidelity report's maze flag), the style distance inside the
face oval and outside every face (:func:`bench.face_measures.style_distances`), the seam along
the crop rectangle (:func:`bench.face_measures.seam_ratio`) and whether MTCNN still finds the
face in the result. ``--curve`` sweeps the face weight instead (the trade-off of identity
against style). Results are kept in ``--out`` (PNG + metadata per run), so an interrupted run
resumes and ``bench/face_crops.py`` can cut before/after crops from them.

VGG-19 and FaceNet are seeded random here (their checkpoints cannot be fetched on this
machine): the measures say what the terms do to the optimisation, not how the art looks with
real weights. MTCNN, FaceMesh, MediaPipe's face detector and dlib are real.
``--setting NAME=JSON`` (repeatable) compares settings of one's own instead, each a JSON object
of Options fields (the identity levers: ``--setting 'blur 0={"face_blur": 0}'``).
Run ``python bench/faces.py [--quick] [--curve | --setting NAME=JSON ...]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.engine import stylize  # noqa: E402
from backend.engine.faces import FaceLocator  # noqa: E402
from backend.engine.fidelity import texture_columns  # noqa: E402
from backend.engine.images import prepare  # noqa: E402
from backend.engine.losses import style_targets  # noqa: E402
from backend.models.bundle import ModelBundle  # noqa: E402
from backend.weights import RandomWeightsWarning, WeightsConfig  # noqa: E402
from bench.face_measures import face_regions, seam_ratio, style_distances  # noqa: E402
from bench.face_tables import curve_table, face_table, summary_table  # noqa: E402
from bench.report import append_section, write_json  # noqa: E402
from shared.options import Options  # noqa: E402
from tests.dlib_judge import identity_distance, judge_face, landmark_error  # noqa: E402
from tests.photos import photo  # noqa: E402

OUT = Path.home() / ".cache" / "portrait-stylization-bench" / "faces"
# The settings compared with the face terms off; each a set of Options fields.
SETTINGS: dict[str, dict] = {
    "off": {"face_weight": 0.0, "mesh_weight": 0.0},
    "defaults": {},
    # The paper's examples and the first defaults: the mesh term on (it paints the maze), the
    # FaceID error over the whole crop in colour (FaceNet's crops are sharp now, as since
    # the identity levers they are with every setting).
    "face 0.25, mesh 0.015": {"face_weight": 0.25, "mesh_weight": 0.015,
                              "face_region_error": False, "face_luma": False},
}
# Always in a run's key, so a cached run keeps its meaning when the defaults change.
KEYED_ALWAYS = ("face_weight", "mesh_weight")
# messi5.jpg is cropped round the player so his face is ~27 px at 256 px, above MTCNN's 20 px.
PHOTOS = {"astronaut": None, "portrait_a": None, "portrait_b": None,
          "messi": (120, 20, 392, 190), "group": None, "held_out_group": None}
TABLE_PHOTOS = ("portrait_a", "portrait_b", "group", "held_out_group")
CURVE_WEIGHTS = (0.25, 1.0, 4.0)  # FaceID alone: the mesh term paints the maze
# Issue 9's trial: 256 → 512 px, 60 + 30 iterations, content weight 0.05; short runs need a
# larger step than Crowson's 0.02 for the style to reach the face at all.
FULL = {"min_scale": 256, "end_scale": 512, "initial_iterations": 60, "iterations": 30}
QUICK = {"min_scale": 128, "end_scale": 128, "initial_iterations": 30, "iterations": 30}
BASE = {"content_weight": 0.05, "step_size": 0.05}


def content_photo(name: str) -> Image.Image:
    image = photo(name)
    return image.crop(PHOTOS[name]) if PHOTOS[name] else image


def run_key(name: str, options: dict) -> str:
    """A file-name-safe key of one run: the photo, the face weights and every other option
    that differs from the defaults (so two settings that mean the same run share it)."""
    chosen, defaults = Options(**options), Options()
    changed = {k: getattr(chosen, k) for k in sorted({*options, *KEYED_ALWAYS})
               if k in KEYED_ALWAYS or getattr(chosen, k) != getattr(defaults, k)}
    return name + "".join(f"_{k}={v}" for k, v in changed.items()).replace(" ", "")


def stylized(name: str, options: dict, style: Image.Image, models: ModelBundle,
             out: Path) -> tuple[np.ndarray, dict]:
    """The result ``(H, W, 3)`` uint8 and metadata of ``name`` with ``options``, from ``out``
    when this run was made before."""
    png, meta = out / f"{run_key(name, options)}.png", out / f"{run_key(name, options)}.json"
    if not (png.exists() and meta.exists()):
        started = time.perf_counter()
        result = stylize(content_photo(name), [style], options=Options(**options),
                         models=models)
        metadata = {**result.metadata, "bench_s": time.perf_counter() - started,
                    "bench_load": os.getloadavg()[0]}
        out.mkdir(parents=True, exist_ok=True)
        Image.fromarray(result.to_array(8)[..., :3]).save(png)
        meta.write_text(json.dumps(metadata, default=str))
    return np.array(Image.open(png).convert("RGB")), json.loads(meta.read_text())


def measure(name: str, options: dict, style: Image.Image, models: ModelBundle,
            out: Path) -> tuple[list[dict], dict]:
    """Per face and for the whole image, the measures of one run (the module's docstring),
    kept beside the run's result so a table can be rebuilt without measuring again."""
    kept_measures = out / f"{run_key(name, options)}.measures.json"
    if kept_measures.exists():
        measured = json.loads(kept_measures.read_text())
        return measured["faces"], measured["image"]
    faces, image = measured_now(name, options, style, models, out)
    kept_measures.write_text(json.dumps({"faces": faces, "image": image}))
    return faces, image


def measured_now(name: str, options: dict, style: Image.Image, models: ModelBundle,
                 out: Path) -> tuple[list[dict], dict]:
    pixels, metadata = stylized(name, options, style, models, out)
    opts = Options(**options)
    h, w = pixels.shape[:2]
    content_pil = content_photo(name).resize((w, h), Image.LANCZOS)
    content = prepare(content_pil).tensor((w, h))
    result = torch.from_numpy(pixels).permute(2, 0, 1)[None].float() / 255
    faces = FaceLocator(content_pil.size, opts, models.face_detector()).at(content)
    boxes = torch.tensor([face["box"] for face in faces.found]).reshape(-1, 4)
    vgg = models.vgg(opts.pooling)
    grams = style_targets(vgg, [prepare(style)], [1.0], max(w, h), opts, models.device)
    regions = face_regions(content, boxes, faces.crops, models.facemesh())
    in_face, rest = style_distances(vgg, result, regions, grams)
    in_face_content, rest_content = style_distances(vgg, content, regions, grams)
    textures = texture_columns(content, result, faces.crops)
    found_after = models.face_detector().detect(pixels, min_size=opts.min_face_size)
    content_np = np.asarray(content_pil, dtype=np.float32) / 255
    rows = []
    for k, (box, crop) in enumerate(zip(boxes.tolist(), faces.crops.tolist(), strict=True)):
        reference, other = judge_face(np.asarray(content_pil), box), judge_face(pixels, box)
        rows.append({"photo": name, "face": k, "side_px": round(min(box[2] - box[0],
                                                                    box[3] - box[1])),
                     "dlib_nme": landmark_error(reference, other),
                     "dlib_identity": identity_distance(reference, other),
                     **textures[k], "style_face": in_face[k], "style_face_content":
                     in_face_content[k], "seam": seam_ratio(content_np, pixels / 255, crop),
                     "kept": kept(box, found_after)})
    image = {"photo": name, "options": options, "faces": len(rows), "style_rest": rest,
             "weights": metadata["weights"],
             "style_rest_content": rest_content, "style_image": style_distances(
                 vgg, result, regions[:0], grams)[1],
             "seconds": metadata["bench_s"], "load": metadata["bench_load"]}
    return rows, image


def kept(box: list[float], found, threshold: float = 0.3) -> bool:
    """Whether MTCNN still finds a face (confidence ≥ 0.9) overlapping ``box`` by at least
    ``threshold`` intersection over union in the result."""
    for other, probability in zip(found.boxes, found.probabilities, strict=True):
        ix = max(0.0, min(box[2], other[2]) - max(box[0], other[0]))
        iy = max(0.0, min(box[3], other[3]) - max(box[1], other[1]))
        union = ((box[2] - box[0]) * (box[3] - box[1])
                 + (other[2] - other[0]) * (other[3] - other[1]) - ix * iy)
        if probability >= 0.9 and ix * iy / union >= threshold:
            return True
    return False


def parsed_setting(text: str) -> tuple[str, dict]:
    """``NAME=JSON`` → ``(NAME, options)``: the JSON an object of Options fields, checked by
    building :class:`Options` from it (a list stands for a tuple field such as
    ``face_layers``). Raises ``argparse.ArgumentTypeError`` naming the problem."""
    name, _, raw = text.partition("=")
    try:
        options = json.loads(raw)
        if not isinstance(options, dict):
            raise ValueError("not a JSON object")
        options = {k: tuple(v) if isinstance(v, list) else v for k, v in options.items()}
        Options(**options)
    except (ValueError, TypeError) as error:
        raise argparse.ArgumentTypeError(f"--setting {text!r}: {error}; write "
                                         "NAME={\"face_blur\": 0}") from error
    if not name.strip() or name.strip() == "off":
        raise argparse.ArgumentTypeError(f"--setting {text!r}: give it a name other than off")
    return name.strip(), options


def schedule_of(args: argparse.Namespace) -> dict:
    schedule = dict(QUICK if args.quick else FULL)
    if args.end_scale:
        schedule.update(end_scale=args.end_scale,
                        min_scale=min(schedule["min_scale"], args.end_scale))
    if args.min_scale:
        schedule["min_scale"] = args.min_scale
    if args.iterations:
        schedule.update(initial_iterations=args.iterations[0], iterations=args.iterations[1])
    return schedule


def describe(schedule: dict, images: list[dict]) -> str:
    weights = {"dlib": "dlib-bin + face-recognition-models"}
    for image in images:
        weights.update(image["weights"])
    real = sorted(k for k, v in weights.items() if v != "seeded random")
    random = sorted(k for k, v in weights.items() if v == "seeded random")
    loads = [image["load"] for image in images]
    iterations = (f"{schedule['initial_iterations']}" if schedule["min_scale"]
                  == schedule["end_scale"] else
                  f"{schedule['initial_iterations']}+{schedule['iterations']}")
    return (f"Style Starry Night; scales {schedule['min_scale']}-{schedule['end_scale']} px, "
            f"{iterations} iterations, step {BASE['step_size']}, content weight "
            f"{BASE['content_weight']}. Real weights: {', '.join(real)}; SEEDED RANDOM weights: "
            f"{', '.join(random)}. {len(images)} runs, {sum(i['seconds'] for i in images):.0f} s "
            f"of stylization in all, load average {min(loads):.0f}–{max(loads):.0f} on 2 "
            "cores while they ran"
            + ("" if schedule == FULL else "; smaller than issue 9's 256-512 px, 60+30 "
               "iterations, which this machine could not run in the time (docs/faces.md)")
            + ". \"Found again\": MTCNN (confidence ≥ 0.9) finds a face overlapping the box "
            "(IoU ≥ 0.3) in the result. Crops of each photo's worst face: "
            "bench/face_crops.py")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one 128 px scale of 30 "
                        "iterations instead of issue 9's 256-512 px, 60+30")
    parser.add_argument("--end-scale", type=int, help="a smaller end scale than the issue's "
                        "512 px, where the machine cannot run it (said in the table)")
    parser.add_argument("--min-scale", type=int)
    parser.add_argument("--iterations", type=int, nargs=2, metavar=("FIRST", "LATER"),
                        help="iterations at the first scale and at each later one")
    parser.add_argument("--curve", action="store_true",
                        help=f"sweep the face weight over {CURVE_WEIGHTS} (mesh weight 0) "
                        "instead")
    parser.add_argument("--setting", type=parsed_setting, action="append", metavar="NAME=JSON",
                        help="compare this setting (JSON object of Options fields) with the "
                        "face terms off instead; repeatable")
    parser.add_argument("--photos", nargs="+", choices=list(PHOTOS))
    parser.add_argument("--out", type=Path, default=OUT, help=f"results folder ({OUT})")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    schedule = schedule_of(args)
    models = ModelBundle("cpu", WeightsConfig(allow_random=True))
    warnings.simplefilter("ignore", RandomWeightsWarning)
    style = photo("starry_night")
    photos = args.photos or (("portrait_a", "group") if args.curve else TABLE_PHOTOS)
    settings = SETTINGS
    if args.curve:
        settings = {"off": SETTINGS["off"], **{
            f"face {w:g}": {"face_weight": w, "mesh_weight": 0.0} for w in CURVE_WEIGHTS}}
    elif args.setting:
        settings = {"off": SETTINGS["off"], **dict(args.setting)}
    rows, images = [], []
    for name in photos:
        for setting, extra in settings.items():
            faces, image = measure(name, {**schedule, **BASE, **extra}, style, models,
                                   args.out)
            rows += [{**face, "setting": setting} for face in faces]
            images.append({**image, "setting": setting})
            print(f"{name} {setting}: {image['seconds']:.0f} s", flush=True)
    size = (f"{schedule['end_scale']} px" if schedule["min_scale"] == schedule["end_scale"]
            else f"{schedule['min_scale']}-{schedule['end_scale']} px")
    kind = "curve" if args.curve else "levers" if args.setting else "table"
    write_json(f"faces-{kind}-{schedule['end_scale']}",
               {"schedule": schedule, "base": BASE, "settings": settings,
                "load_average": os.getloadavg()[1], "faces": rows, "images": images})
    text = describe(schedule, images)
    if args.curve:
        append_section(f"Faces: face weight against identity and style ({size})", text,
                       curve_table(rows, images))
    elif args.setting:
        append_section(f"Faces: identity levers ({size})", text, summary_table(rows, images))
    else:
        append_section(f"Faces ({size})", text,
                       summary_table(rows, images) + [""] + face_table(rows))


if __name__ == "__main__":
    main()
