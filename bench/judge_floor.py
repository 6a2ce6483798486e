"""How finely the face judge can tell: dlib's NME and identity distance between each photo and
copies of it that no one would call a different face (issue 9's goals are ratios of these).

For each photo of ``bench/faces.py``'s table, resized as that bench's output is (long side
``--size``), the faces MTCNN finds (as the face terms find them) are judged by dlib on the
photo and on each perturbed copy: Gaussian noise of σ 2/255, a shift of half a pixel (bicubic),
a Gaussian blur of σ 0.5 px, and JPEG at quality 90. The mean over a photo's faces is the NME
below which the judge cannot tell a better result from a copy of the photo: an NME goal under
it asks for more than the judge can see. Real MTCNN and dlib; no stylization, so no random
weights are involved. Run ``python bench/judge_floor.py [--size 512 192]``.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.engine.faces import FaceLocator  # noqa: E402
from backend.engine.images import prepare  # noqa: E402
from backend.models.bundle import ModelBundle  # noqa: E402
from backend.weights import WeightsConfig  # noqa: E402
from bench.faces import TABLE_PHOTOS, content_photo  # noqa: E402
from bench.report import append_section, machine, write_json  # noqa: E402
from shared.options import Options  # noqa: E402
from tests.dlib_judge import identity_distance, judge_face, landmark_error  # noqa: E402

NOISE = 2 / 255  # σ of the added Gaussian noise, in [0, 1] units
SHIFT_PX = 0.5
BLUR_PX = 0.5
JPEG_QUALITY = 90


def perturbed(image: Image.Image, seed: int = 0) -> dict[str, Image.Image]:
    """The copies of ``image`` (RGB) the judge should call the same face."""
    pixels = np.asarray(image, dtype=np.float32) / 255
    noise = np.random.default_rng(seed).normal(0.0, NOISE, pixels.shape)
    noisy = Image.fromarray(np.round(np.clip(pixels + noise, 0, 1) * 255).astype(np.uint8))
    shifted = image.transform(image.size, Image.AFFINE, (1, 0, SHIFT_PX, 0, 1, SHIFT_PX),
                              resample=Image.BICUBIC)
    jpeg = io.BytesIO()
    image.save(jpeg, format="JPEG", quality=JPEG_QUALITY)
    return {f"noise {NOISE * 255:g}/255": noisy, f"shift {SHIFT_PX:g} px": shifted,
            f"blur {BLUR_PX:g} px": image.filter(ImageFilter.GaussianBlur(BLUR_PX)),
            f"JPEG q{JPEG_QUALITY}": Image.open(jpeg).convert("RGB")}


def floor_rows(name: str, size: int, models: ModelBundle) -> list[dict]:
    """One row per perturbation of photo ``name`` at long side ``size``: the mean and the
    largest dlib NME and identity distance over its faces."""
    original = content_photo(name).convert("RGB")
    scale = size / max(original.size)
    content = original.resize((round(original.width * scale), round(original.height * scale)),
                              Image.LANCZOS)
    faces = FaceLocator(content.size, Options(), models.face_detector()).at(
        prepare(content).tensor(content.size))
    boxes = [face["box"] for face in faces.found]
    references = [judge_face(np.asarray(content), box) for box in boxes]
    rows = []
    for kind, copy in perturbed(content).items():
        judged = [judge_face(np.asarray(copy), box) for box in boxes]
        nmes = [landmark_error(r, j) for r, j in zip(references, judged, strict=True)]
        ids = [identity_distance(r, j) for r, j in zip(references, judged, strict=True)]
        rows.append({"photo": name, "size": size, "faces": len(boxes), "copy": kind,
                     "nme_mean": float(np.mean(nmes)), "nme_max": float(np.max(nmes)),
                     "identity_mean": float(np.mean(ids))})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, nargs="+", default=[512, 192],
                        help="long sides of the photos judged, in pixels")
    args = parser.parse_args()
    models = ModelBundle("cpu", WeightsConfig(allow_random=True))
    rows = [row for size in args.size for name in TABLE_PHOTOS
            for row in floor_rows(name, size, models)]
    write_json("judge-floor", {"rows": rows, "load_average": os.getloadavg()[1]})
    table = ["| photo | long side | faces | copy | dlib NME, mean (largest) | identity distance, "
             "mean |", "|---|---|---|---|---|---|"]
    table += [f"| {r['photo']} | {r['size']} px | {r['faces']} | {r['copy']} | "
              f"{r['nme_mean']:.4f} ({r['nme_max']:.4f}) | {r['identity_mean']:.3f} |"
              for r in rows]
    append_section("Faces: how finely dlib can tell (judge floor)",
                   f"{machine()}. `python bench/judge_floor.py`: each photo of the faces table "
                   "resized as bench/faces.py's output, its faces found by MTCNN, judged by dlib "
                   "against copies a person would call the same face. Real MTCNN and dlib; no "
                   "stylization, no random weights. An NME goal below a photo's row asks for "
                   "more than dlib can tell.", table)
    for r in rows:
        print(f"{r['photo']} {r['size']} {r['copy']}: NME {r['nme_mean']:.4f}", flush=True)


if __name__ == "__main__":
    main()
