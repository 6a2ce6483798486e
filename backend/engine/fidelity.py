"""The face-fidelity report: how far the result's faces moved from the content's, and whether
they carry more fine texture than the photograph.

For every result (face terms on or off), on the same crops the face terms use, without
gradients. The main drift column comes from a judge the loss does not optimize (MediaPipe's
face-detection keypoints, :mod:`backend.models.face_keypoints`); the FaceMesh drift, which the
mesh term can satisfy with adversarial texture, is kept as a second column. The texture ratio
(:mod:`backend.engine.texture`) flags such texture.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from backend.engine.faces import FACE_CHUNK, FACEMESH_SIZE, FaceGuide, FaceLocator, crop_faces
from backend.engine.texture import box_mask, texture_bound, texture_ratio
from backend.models.bundle import ModelNeed
from backend.models.face_keypoints import FaceKeypointJudge
from backend.models.facemesh import FaceMesh
from shared.options import Options

if TYPE_CHECKING:
    from backend.models.bundle import ModelBundle

# Outer eye corners in MediaPipe's 468-point topology: the inter-ocular distance of the
# 300-W convention, which normalises the error so faces of any size compare (NME).
RIGHT_EYE_OUTER, LEFT_EYE_OUTER = 33, 263
# Eye centres in the face detector's six keypoints.
RIGHT_EYE, LEFT_EYE = 0, 1


def landmarks_in_image(facemesh: FaceMesh, image: torch.Tensor,
                       crops: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """FaceMesh landmarks of each crop of ``image`` ``(1, 3, H, W)`` in [0, 1], mapped to the
    image's pixels: ``(K, 468, 2)`` x, y, and face presence probabilities ``(K,)``. Crops go
    through FaceMesh :data:`FACE_CHUNK` at a time, so memory does not grow with K."""
    landmarks, presence = [], []
    with torch.no_grad():
        for chunk in crops.split(FACE_CHUNK):
            output = facemesh(crop_faces(image, chunk, FACEMESH_SIZE))
            landmarks.append(output.landmarks[..., :2])
            presence.append(torch.sigmoid(output.presence_logits))
    points = torch.cat(landmarks)
    crops = crops.to(points)
    origin = crops[:, None, :2]
    scale = (crops[:, None, 2:] - crops[:, None, :2]) / FACEMESH_SIZE
    return points * scale + origin, torch.cat(presence)


def _pixels(image: torch.Tensor, crop: list[float]) -> np.ndarray:
    """The whole pixels covering ``crop`` of ``image`` ``(1, 3, H, W)`` in [0, 1], as an
    ``(h, w, 3)`` uint8 array (keypoints in its frame: drift needs no offset)."""
    h, w = image.shape[2:]
    x0, y0 = max(int(np.floor(crop[0])), 0), max(int(np.floor(crop[1])), 0)
    x1, y1 = min(int(np.ceil(crop[2])), w), min(int(np.ceil(crop[3])), h)
    pixels = image[0, :, y0:y1, x0:x1].permute(1, 2, 0).clamp(0, 1).mul(255).round()
    return pixels.to(torch.uint8).cpu().numpy()


def keypoint_drift(content: torch.Tensor, result: torch.Tensor, crop: list[float],
                   judge: FaceKeypointJudge) -> dict[str, float | None]:
    """The independent judge's column for one face: the detector's six keypoints on the crop
    of ``content`` and of ``result`` (both ``(1, 3, H, W)`` in [0, 1]); their mean drift in
    pixels (``keypoint_drift_px``), that over the content's distance between the eye centres
    (``keypoint_nme``, normalised as 300-W normalises by the eyes, here by the pupils), and the
    detector's scores in [0, 1]. Drift and NME are None when the judge finds no face in either
    crop, and a score is None where it finds none."""
    before = judge.keypoints(_pixels(content, crop))
    after = judge.keypoints(_pixels(result, crop))
    columns: dict[str, float | None] = {
        "keypoint_nme": None, "keypoint_drift_px": None, "inter_pupil_px": None,
        "keypoint_score_content": None if before is None else round(before.score, 4),
        "keypoint_score_result": None if after is None else round(after.score, 4)}
    if before is None or after is None:
        return columns
    drift = float(np.linalg.norm(after.points - before.points, axis=1).mean())
    inter_pupil = float(np.linalg.norm(before.points[LEFT_EYE] - before.points[RIGHT_EYE]))
    columns.update(keypoint_nme=round(drift / max(inter_pupil, 1e-6), 4),
                   keypoint_drift_px=round(drift, 3), inter_pupil_px=round(inter_pupil, 3))
    return columns


def texture_columns(content: torch.Tensor, result: torch.Tensor,
                    crops: torch.Tensor) -> list[dict[str, float | bool]]:
    """Per crop ``(K, 4)``, the texture ratio inside it (``texture_ratio``: the result's
    Laplacian RMS over the content's, see :mod:`backend.engine.texture`), the photo's bound
    ``texture_bound`` = max(1, 1.5 × the ratio outside every crop), and ``texture_exceeds``:
    whether the ratio is above the bound (a face painted with more fine texture than the photo
    and the rest of the result justify)."""
    h, w = content.shape[2:]
    bound = texture_bound(content, result, crops)
    columns = []
    for crop in crops:
        ratio = texture_ratio(content, result, box_mask((w, h), crop[None]))
        columns.append({"texture_ratio": round(ratio, 4), "texture_bound": round(bound, 4),
                        "texture_exceeds": ratio > bound})
    return columns


def mesh_columns(content: torch.Tensor, result: torch.Tensor, crops: torch.Tensor,
                 facemesh: FaceMesh) -> list[dict[str, float]]:
    """The FaceMesh column per crop ``(K, 4)``: mean and max drift of the 468 points in pixels
    (``mean_drift_px``, ``max_drift_px``); the normalised mean error ``nme`` (300-W: mean
    point-to-point distance over the inter-ocular distance, outer eye corners) and the largest
    point's distance so divided, ``max_normalised_error``; FaceMesh's face presence on both, in
    [0, 1]. The mesh term optimizes this network, so texture can fool it."""
    before, presence_before = landmarks_in_image(facemesh, content, crops)
    after, presence_after = landmarks_in_image(facemesh, result, crops)
    drift = (after - before).norm(dim=-1)
    inter_ocular = (before[:, LEFT_EYE_OUTER] - before[:, RIGHT_EYE_OUTER]).norm(dim=-1)
    columns = []
    for i in range(len(crops)):
        iod = max(float(inter_ocular[i]), 1e-6)
        columns.append({
            "mean_drift_px": round(float(drift[i].mean()), 3),
            "max_drift_px": round(float(drift[i].max()), 3),
            "inter_ocular_px": round(float(inter_ocular[i]), 3),
            "nme": round(float(drift[i].mean()) / iod, 4),
            "max_normalised_error": round(float(drift[i].max()) / iod, 4),
            "presence_content": round(float(presence_before[i]), 4),
            "presence_result": round(float(presence_after[i]), 4),
        })
    return columns


def fidelity_report(content: torch.Tensor, result: torch.Tensor, crops: torch.Tensor,
                    facemesh: FaceMesh, judge: FaceKeypointJudge) -> list[dict[str, Any]]:
    """Per face crop ``(K, 4)``, ``content`` against ``result`` (both ``(1, 3, H, W)`` in
    [0, 1], the same size): its ``crop``, the judge's keypoint column
    (:func:`keypoint_drift`), the texture column (:func:`texture_columns`) and the FaceMesh
    column (:func:`mesh_columns`), in that order."""
    if len(crops) == 0:
        return []
    textures = texture_columns(content, result, crops)
    meshes = mesh_columns(content, result, crops, facemesh)
    report = []
    for crop, texture, mesh in zip(crops, textures, meshes, strict=True):
        box = [round(float(v), 2) for v in crop]
        report.append({"crop": box, **keypoint_drift(content, result, crop.tolist(), judge),
                       **texture, **mesh})
    return report


def report_needs(options: Options) -> list[ModelNeed]:
    """The models the report reads on every result, face terms on or off, for
    ``ModelBundle.preload``: MTCNN (unless the caller gives the boxes), FaceMesh and the
    keypoint judge."""
    needs = [] if options.face_boxes else [ModelNeed("mtcnn")]
    return [*needs, ModelNeed("facemesh"), ModelNeed("face-detection")]


def detect_faces_first(content: torch.Tensor, options: Options, models: ModelBundle) -> None:
    """Run the face detection the fidelity report (and the face terms, at the final scale) will
    ask for on ``content`` ``(1, 3, H, W)`` in [0, 1], the content at the output size, now:
    MTCNN's pyramid is a transient (about 100 MB at 2048 × 1536), so run before the scales'
    whole-image tensors exist it no longer adds to them (bench/RESULTS.md, Full-resolution
    memory). The detector caches the result by pixels, so
    :func:`faces_metadata` gets the same faces without detecting again. Nothing is detected
    when ``options.face_boxes`` are given."""
    if not options.face_boxes:
        models.face_detector().detect(content, min_size=options.min_face_size)


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
    report = fidelity_report(content, result, crops, models.facemesh(), models.face_judge())
    return {"terms": terms, "fidelity": report,
            "fidelity_notes": [] if report else ["no face found: no fidelity report"]}

