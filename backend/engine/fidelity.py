"""The face-fidelity report: how far the result's face landmarks moved from the content's.

Measured with the real FaceMesh on the same crops the face terms use, without gradients, for
every result (face terms on or off), so a user can see what the face terms bought.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from backend.engine.faces import FACEMESH_SIZE, FaceGuide, FaceLocator, crop_faces
from backend.models.facemesh import FaceMesh
from shared.options import Options

if TYPE_CHECKING:
    from backend.models.bundle import ModelBundle

# Outer eye corners in MediaPipe's 468-point topology: the inter-ocular distance of the
# 300-W convention, which normalises the error so faces of any size compare (NME).
RIGHT_EYE_OUTER, LEFT_EYE_OUTER = 33, 263


def landmarks_in_image(facemesh: FaceMesh, image: torch.Tensor,
                       crops: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """FaceMesh landmarks of each crop of ``image`` ``(1, 3, H, W)`` in [0, 1], mapped to the
    image's pixels: ``(K, 468, 2)`` x, y, and face presence probabilities ``(K,)``."""
    with torch.no_grad():
        output = facemesh(crop_faces(image, crops, FACEMESH_SIZE))
    crops = crops.to(output.landmarks)
    origin = crops[:, None, :2]
    scale = (crops[:, None, 2:] - crops[:, None, :2]) / FACEMESH_SIZE
    return output.landmarks[..., :2] * scale + origin, torch.sigmoid(output.presence_logits)


def fidelity_report(content: torch.Tensor, result: torch.Tensor, crops: torch.Tensor,
                    facemesh: FaceMesh) -> list[dict[str, float]]:
    """Per face, the landmark drift from ``content`` to ``result`` (both ``(1, 3, H, W)`` in
    [0, 1], the same size): mean and max over the 468 points in pixels (``mean_drift_px``,
    ``max_drift_px``); the normalised mean error ``nme`` of face alignment (300-W: mean
    point-to-point distance divided by the inter-ocular distance, outer eye corners) and the
    largest point's distance so divided, ``max_normalised_error``; plus FaceMesh's face
    presence on both, in [0, 1]."""
    if len(crops) == 0:
        return []
    before, presence_before = landmarks_in_image(facemesh, content, crops)
    after, presence_after = landmarks_in_image(facemesh, result, crops)
    drift = (after - before).norm(dim=-1)
    inter_ocular = (before[:, LEFT_EYE_OUTER] - before[:, RIGHT_EYE_OUTER]).norm(dim=-1)
    report = []
    for i in range(len(crops)):
        iod = max(float(inter_ocular[i]), 1e-6)
        report.append({
            "crop": [round(float(v), 2) for v in crops[i]],
            "mean_drift_px": round(float(drift[i].mean()), 3),
            "max_drift_px": round(float(drift[i].max()), 3),
            "inter_ocular_px": round(float(inter_ocular[i]), 3),
            "nme": round(float(drift[i].mean()) / iod, 4),
            "max_normalised_error": round(float(drift[i].max()) / iod, 4),
            "presence_content": round(float(presence_before[i]), 4),
            "presence_result": round(float(presence_after[i]), 4),
        })
    return report


def faces_metadata(content: torch.Tensor, result: torch.Tensor, content_size: tuple[int, int],
                   options: Options, models: ModelBundle,
                   guide: FaceGuide | None = None) -> dict[str, Any]:
    """``Result.metadata["faces"]``: the face terms' record (when they ran) and the fidelity
    report on ``result`` against ``content``, both ``(1, 3, H, W)`` in [0, 1] at the output
    size. ``content_size``: ``(w, h)`` of the full-resolution content (the frame of
    ``options.face_boxes``). Faces are found as the face terms find them (the guide's cache
    when given)."""
    if guide is not None:
        locator = guide.locator
        terms: dict[str, Any] = {"enabled": True, **guide.metadata()}
    else:
        detector = None if options.face_boxes else models.face_detector()
        locator = FaceLocator(content_size, options, detector)
        terms = {"enabled": False, "notes": ["face terms off (face_weight and mesh_weight "
                                             "are 0)"]}
    crops = locator.at(content).crops
    report = fidelity_report(content, result, crops, models.facemesh())
    return {"terms": terms, "fidelity": report,
            "fidelity_notes": [] if report else ["no face found: no fidelity report"]}

