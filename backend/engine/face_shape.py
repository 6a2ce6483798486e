"""Where the face terms pull inside a crop: the face itself, not the crop rectangle (issue 9,
point 2).

The content crop's FaceMesh face oval is filled and feathered across its outline (beyond it
along the jaw), so the face terms hold the face and let the background inside the crop take
the style like the background outside.
A face whose landmarks FaceMesh does not trust (presence below one half) falls back to the
crop rectangle, feathered toward its border.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from backend.models.facemesh import FaceMesh

# The face oval of MediaPipe's 468-point topology, in order around the face (the chain of
# mediapipe.solutions.face_mesh_connections.FACEMESH_FACE_OVAL, from the forehead clockwise).
FACE_OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378,
             400, 377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54,
             103, 67, 109)
# The share of the fade that lies outside the outline at each point of FACE_OVAL: 1 along the
# jaw (361 ... 152 ... 132), 0.5 (centred) from the temples up, blended over the cheeks.
OVAL_FADE_OUTSIDE = (0.5,) * 7 + (0.625, 0.75, 0.875) + (1.0,) * 17 + (0.875, 0.75, 0.625) + (
    0.5,) * 6
# MediaPipe's face landmark graph drops a face whose presence is below 0.5
# (min_tracking_confidence's default).
MIN_PRESENCE = 0.5


def smoothstep(ramp: torch.Tensor) -> torch.Tensor:
    """``3r² − 2r³`` of ``ramp`` clamped to [0, 1]: 0 and 1 with zero slope at both ends."""
    ramp = ramp.clamp(0, 1)
    return ramp * ramp * (3 - 2 * ramp)


def feather_mask(size: int, feather: float, device: torch.device | str = "cpu") -> torch.Tensor:
    """``(1, 1, size, size)`` weights in [0, 1]: 1 in the middle, falling smoothly to 0 at the
    border over ``feather × size`` pixels (all ones when ``feather`` is 0)."""
    centres = torch.arange(size, device=device, dtype=torch.float32) + 0.5
    # Half-integer distances are exact, so the mask is exactly symmetric.
    to_edge = torch.minimum(centres, size - centres) / size
    ramp = torch.ones_like(to_edge) if feather <= 0 else smoothstep(to_edge / feather)
    return (ramp[:, None] * ramp[None, :])[None, None]


def _inside(points: torch.Tensor, polygon: torch.Tensor) -> torch.Tensor:
    """Even-odd rule: which ``points`` ``(N, 2)`` lie inside ``polygon`` ``(V, 2)``."""
    a, b = polygon, polygon.roll(-1, dims=0)
    px, py = points[:, None, 0], points[:, None, 1]
    straddles = (a[None, :, 1] > py) != (b[None, :, 1] > py)
    dy = torch.where(straddles, b[:, 1] - a[:, 1], torch.ones_like(a[:, 1]))
    crossing_x = a[:, 0] + (b[:, 0] - a[:, 0]) * (py - a[:, 1]) / dy
    return ((straddles & (px < crossing_x)).sum(dim=1) % 2) == 1


def _nearest_on_outline(points: torch.Tensor, polygon: torch.Tensor,
                        values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """For each of ``points`` ``(N, 2)``: the Euclidean distance to the closed outline
    ``polygon`` ``(V, 2)``, and ``values`` ``(V,)`` (one per vertex) interpolated linearly
    along the outline at the nearest point."""
    a, edge = polygon, polygon.roll(-1, dims=0) - polygon
    offset = points[:, None, :] - a[None]
    along = ((offset * edge).sum(-1) / edge.square().sum(-1).clamp_min(1e-12)).clamp(0, 1)
    nearest = a[None] + along[..., None] * edge[None]
    distance, segment = (points[:, None, :] - nearest).norm(dim=-1).min(dim=1)
    t = along.gather(1, segment[:, None])[:, 0]
    value = values[segment] * (1 - t) + values.roll(-1)[segment] * t
    return distance, value


def oval_masks(landmarks: torch.Tensor, size: int, feather: float) -> torch.Tensor:
    """``(K, 1, size, size)`` weights in [0, 1] for ``landmarks`` ``(K, 468, ≥2)`` in pixels of
    ``size × size`` crops: 1 inside the face oval, falling smoothly (smoothstep) to 0 over
    ``feather × size`` pixels across its outline (a hard oval when ``feather`` is 0).
    Along the forehead and temples the fade straddles the outline (0.5 on it): held beyond
    it, the background ring inside the crop changes less than the band outside the crop
    (tests/engine/test_faces_seams.py). Along the jaw it lies wholly outside (1 on the
    outline), blended between the two over the cheeks (:data:`OVAL_FADE_OUTSIDE`): the jaw's
    edge against the neck is part of the face's shape (dlib's 17 jaw points), and with the
    fade centred there the terms held the inside of the face while the style moved the jaw,
    its points twice as far off as with the terms off (docs/faces.md, "Shape, not box")."""
    centres = torch.arange(size, dtype=torch.float32, device=landmarks.device) + 0.5
    ys, xs = torch.meshgrid(centres, centres, indexing="ij")
    points = torch.stack([xs.flatten(), ys.flatten()], dim=1)
    outside = torch.tensor(OVAL_FADE_OUTSIDE, device=landmarks.device)
    masks = []
    for face in landmarks[:, list(FACE_OVAL), :2].float():
        inside = _inside(points, face)
        if feather <= 0:
            mask = inside.float()
        else:
            distance, share = _nearest_on_outline(points, face, outside)
            signed = torch.where(inside, distance, -distance)
            mask = smoothstep(signed / (feather * size) + share)
        masks.append(mask.reshape(1, size, size))
    return torch.stack(masks)


def region_masks(faces: torch.Tensor, sizes: tuple[int, ...], facemesh: FaceMesh | None,
                 feather: float) -> tuple[dict[int, torch.Tensor], list[str]]:
    """The pull of the face terms on each face crop: ``(K, 1, s, s)`` in [0, 1] for each size
    ``s`` of ``sizes``, and per face the region used, ``"oval"`` or ``"box"``.

    ``faces``: the content's crops ``(K, 3, S, S)`` in [0, 1] at FaceMesh's input size S.
    Without ``facemesh`` every face gets the feathered rectangle (:func:`feather_mask`); with
    it, faces whose FaceMesh presence reaches :data:`MIN_PRESENCE` get their feathered oval,
    also faded to 0 within ``feather / 3`` of the crop border so no edge is left there.
    """
    k, device = len(faces), faces.device
    boxes = {size: feather_mask(size, feather, device).expand(k, 1, size, size)
             for size in sizes}
    if facemesh is None:
        return boxes, ["box"] * k
    with torch.no_grad():
        output = facemesh(faces)
    reliable = torch.sigmoid(output.presence_logits).flatten() >= MIN_PRESENCE
    side = faces.shape[-1]
    ovals = oval_masks(output.landmarks, side, feather) * feather_mask(side, feather / 3, device)
    masks = {}
    for size in sizes:
        oval = ovals if size == side else F.interpolate(
            ovals, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
        masks[size] = torch.where(reliable[:, None, None, None], oval, boxes[size])
    return masks, ["oval" if ok else "box" for ok in reliable.tolist()]
