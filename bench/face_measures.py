"""Per-face measures of a stylized result for bench/faces.py (issue 9): where each face is, how
much of the style it carries, and whether its crop rectangle shows.

- :func:`face_regions`: each face's region in the output, the content's FaceMesh face oval
  filled (the detected box where FaceMesh does not trust its landmarks).
- :func:`style_distances`: the Gram distance to the style inside a region and in the rest of
  the image, on the engine's seeded VGG-19 (Gatys et al. 2016's style statistic, restricted to
  a region as in their spatial control, Gatys et al. 2017).
- :func:`seam_ratio`: the step of the result's distance to the content across the crop
  border, over the steps just inside and outside it (about 1 when no box shows).
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from backend.engine.face_shape import FACE_OVAL, MIN_PRESENCE, _inside
from backend.engine.fidelity import landmarks_in_image
from backend.engine.losses import STYLE_LAYER_WEIGHTS, STYLE_LAYERS, normalised
from backend.models.facemesh import FaceMesh
from backend.models.vgg import VGGFeatures

NEIGHBOURS = 4  # one-pixel steps compared on each side of a crop border
MARGIN = 4  # the seam's profiles skip this many pixels at the ends of a side (the corners)


def face_regions(content: torch.Tensor, boxes: torch.Tensor, crops: torch.Tensor,
                 facemesh: FaceMesh) -> torch.Tensor:
    """``(K, H, W)`` bool, each face's region in ``content`` ``(1, 3, H, W)`` in [0, 1]: inside
    its FaceMesh face oval read on the crop ``crops[k]`` (``(K, 4)`` pixels), or inside its
    detected box ``boxes[k]`` when FaceMesh's presence is below one half."""
    h, w = content.shape[2:]
    if len(crops) == 0:
        return torch.zeros(0, h, w, dtype=torch.bool)
    landmarks, presence = landmarks_in_image(facemesh, content, crops)
    ys, xs = torch.meshgrid(torch.arange(h) + 0.5, torch.arange(w) + 0.5, indexing="ij")
    points = torch.stack([xs.flatten(), ys.flatten()], dim=1)
    regions = []
    for face, present, box in zip(landmarks, presence.flatten(), boxes, strict=True):
        if float(present) >= MIN_PRESENCE:
            inside = _inside(points, face[list(FACE_OVAL)].float().cpu()).reshape(h, w)
        else:
            x0, y0, x1, y1 = box.tolist()
            inside = (xs >= x0) & (xs < x1) & (ys >= y0) & (ys < y1)
        regions.append(inside)
    return torch.stack(regions)


def region_gram(features: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Gram matrix ``(C, C)`` of ``(1, C, h, w)`` features over a region, each position
    weighted by ``weights`` ``(h, w)`` ≥ 0 and the sum divided by the weights' (the engine's
    Gram, normalised by positions, when the weights are all 1)."""
    matrix = features[0].flatten(1)
    weighted = matrix * weights.flatten()[None]
    return weighted @ matrix.T / weights.sum().clamp_min(1e-8)


def style_distances(vgg: VGGFeatures, image: torch.Tensor, regions: torch.Tensor,
                    style_grams: dict[str, torch.Tensor]) -> tuple[list[float], float]:
    """How far the style statistics of each region and of the rest are from the style's.

    ``image`` ``(1, 3, H, W)`` in [0, 1]; ``regions`` ``(K, H, W)`` bool; ``style_grams``: per
    layer of :data:`STYLE_LAYERS`, the style's Gram ``(1, C, C)`` at this scale (the engine's
    targets). Per region, ``Σ_l w_l ‖G_l(region) − T_l‖_F / ‖T_l‖_F`` with the style loss's
    layer weights ``w_l`` (256, 64, 16, 4, 1, normalised); the region is averaged down to each
    layer's grid. Returns the distances of the K regions and that of the image outside all of
    them (0: the style's own statistics)."""
    with torch.no_grad():
        features = vgg(image, layers=STYLE_LAYERS)
    rest = ~regions.any(dim=0, keepdim=True)
    masks = torch.cat([regions, rest]).float()[:, None]
    distances = torch.zeros(len(masks), dtype=torch.float64)
    for layer, weight in zip(STYLE_LAYERS, normalised(STYLE_LAYER_WEIGHTS), strict=True):
        feats = features[layer]
        grid = F.adaptive_avg_pool2d(masks.to(feats), feats.shape[2:])[:, 0]
        target = style_grams[layer][0]
        for i, mask in enumerate(grid):
            gap = torch.linalg.matrix_norm(region_gram(feats, mask) - target)
            distances[i] += weight * float(gap / torch.linalg.matrix_norm(target))
    return distances[:-1].tolist(), float(distances[-1])


def _side_profiles(distance: np.ndarray, crop: list[float]) -> list[np.ndarray]:
    """Mean ``distance`` ``(H, W)`` on lines parallel to each side of ``crop`` that lies
    wholly inside the image, ordered from outside to inside (index ``2·NEIGHBOURS`` is the
    first line inside the crop); sides at the image's edge have none."""
    h, w = distance.shape
    x0, y0, x1, y1 = crop
    reach = 2 * NEIGHBOURS
    rows = distance[max(int(np.ceil(y0)), 0) + MARGIN: min(int(np.floor(y1)), h) - MARGIN]
    columns = distance[:, max(int(np.ceil(x0)), 0) + MARGIN: min(int(np.floor(x1)), w) - MARGIN]
    first_x, last_x = int(np.ceil(x0 - 0.5)), int(np.floor(x1 - 0.5))
    first_y, last_y = int(np.ceil(y0 - 0.5)), int(np.floor(y1 - 0.5))
    sides = []
    if len(rows) and first_x - reach >= 0:
        sides.append(rows.mean(axis=0)[first_x - reach: first_x + reach])
    if len(rows) and last_x + reach + 1 <= w:
        sides.append(rows.mean(axis=0)[last_x - reach + 1: last_x + reach + 1][::-1])
    if columns.shape[1] and first_y - reach >= 0:
        sides.append(columns.mean(axis=1)[first_y - reach: first_y + reach])
    if columns.shape[1] and last_y + reach + 1 <= h:
        sides.append(columns.mean(axis=1)[last_y - reach + 1: last_y + reach + 1][::-1])
    return sides


def seam_ratio(content: np.ndarray, result: np.ndarray, crop: list[float]) -> float:
    """Whether the crop rectangle ``crop`` (x0, y0, x1, y1 pixels) shows in ``result``: on the
    result's mean absolute distance to ``content`` (both ``(H, W, 3)`` in [0, 1]), the
    one-pixel step across each side of the crop over the mean step just inside and outside it,
    summed over the sides that lie inside the image. About 1 for a smooth fade; a hard box
    gave 4.4 (tests/engine/test_faces_seams.py). NaN when no side can be measured."""
    distance = np.abs(result - content).mean(axis=2)
    across = near = 0.0
    border = 2 * NEIGHBOURS - 1
    sides = _side_profiles(distance, crop)
    for profile in sides:
        steps = np.abs(np.diff(profile))
        across += steps[border]
        near += (steps[border - NEIGHBOURS: border].mean()
                 + steps[border + 1: border + 1 + NEIGHBOURS].mean()) / 2
    return float(across / near) if sides and near > 0 else float("nan")
