"""What bench/presets.py measures on a result: the engine's style and content terms at the end
scale, dlib's 68-point NME and identity distance, and the fidelity report's keypoint judge.
(Kept from bench/faces.py before its rewrite, so the presets' runs stay comparable.)"""

from __future__ import annotations

import statistics
from collections.abc import Callable

import numpy as np
import torch
from PIL import Image

from backend.engine import Result
from backend.engine.images import prepare
from backend.engine.losses import ContentLoss, StyleLoss, TVLoss
from backend.engine.terms import ScaleInputs
from backend.models.bundle import ModelBundle
from backend.models.vgg import in_network_order
from shared.options import Options
from tests.dlib_judge import identity_distance, judge_face, landmark_error


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


def judge_columns(fidelity: list[dict]) -> dict:
    """The fidelity report's independent columns: the largest texture ratio of any face, how
    many faces exceed their bound, the keypoint judge's mean NME over the faces it still finds,
    and how many it lost."""
    found = [f["keypoint_nme"] for f in fidelity if f["keypoint_nme"] is not None]
    return {"texture_max": max((f["texture_ratio"] for f in fidelity), default=float("nan")),
            "texture_exceeding": sum(f["texture_exceeds"] for f in fidelity),
            "judge_nme": statistics.fmean(found) if found else float("nan"),
            "judge_lost": len(fidelity) - len(found)}
