"""Face terms that texture cannot satisfy (issue 9, point 1).

An optimizer that may change every pixel finds adversarial examples for a landmark regressor:
fine high-frequency texture (a "maze") that moves FaceMesh's landmarks back into place. Three
defences, each a function here:

- :func:`low_pass`: the networks see Gaussian-blurred crops of content and result alike. The
  blur's adjoint is the same blur, so the gradient reaching the pixels has no fine texture in
  it: what the blur removes cannot lower the loss.
- :func:`jittered_boxes`: each iteration the crops move and scale a little (expectation over
  transformations, Athalye et al. 2018, "Synthesizing Robust Adversarial Examples", ICML), the
  same boxes cutting content and result; a texture tuned to one exact sampling grid stops
  working on the next.
- :func:`reliability`: each face's mesh loss is weighted by how far its landmarks can be
  trusted: FaceMesh's presence probability times how frontal the face is.
"""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F

# MediaPipe 468-point topology: outer eye corners and the nose tip.
RIGHT_EYE_OUTER, LEFT_EYE_OUTER, NOSE_TIP = 33, 263, 1


def gaussian_kernel(sigma: float, device: torch.device | str = "cpu") -> torch.Tensor:
    """``(2r + 1,)`` normalised Gaussian weights, radius ``r = ceil(3σ)``; ``sigma`` > 0 px."""
    radius = max(1, math.ceil(3 * sigma))
    offsets = torch.arange(-radius, radius + 1, dtype=torch.float32, device=device)
    weights = torch.exp(-0.5 * (offsets / sigma) ** 2)
    return weights / weights.sum()


def low_pass(faces: torch.Tensor, sigma: float | list[float]) -> torch.Tensor:
    """``faces`` ``(K, C, S, S)`` blurred by a separable Gaussian of ``sigma`` pixels (reflected
    borders; a list gives each face its own σ); the input itself when ``sigma`` is 0.
    Differentiable."""
    if isinstance(sigma, list):
        if len(set(sigma)) > 1:
            return torch.cat([low_pass(face[None], s) for face, s in zip(faces, sigma,
                                                                         strict=True)])
        sigma = sigma[0] if sigma else 0.0
    if sigma <= 0:
        return faces
    kernel = gaussian_kernel(sigma, faces.device).to(faces.dtype)
    radius = (len(kernel) - 1) // 2
    channels = faces.shape[1]
    padded = F.pad(faces, (radius, radius, radius, radius), mode="reflect")
    rows = F.conv2d(padded, kernel.view(1, 1, 1, -1).expand(channels, 1, 1, -1),
                    groups=channels)
    return F.conv2d(rows, kernel.view(1, 1, -1, 1).expand(channels, 1, -1, 1), groups=channels)


def crop_sigmas(crops: torch.Tensor, size: int, blur: float, min_image_px: float) -> list[float]:
    """Per crop ``(K, 4)`` (pixels of the image) resized to ``size × size``, the blur σ in
    pixels of the resized crop: ``blur``, raised where needed so it is at least
    ``min_image_px`` pixels of the image (``min_image_px × size / short side``). A small face
    enlarged to the networks' input would otherwise keep its own pixel-scale texture out of
    the blur's reach. At most ``size / 6``, so the kernel fits the crop. All 0 when ``blur``
    is 0."""
    if blur <= 0:
        return [0.0] * len(crops)
    sides = torch.minimum(crops[:, 2] - crops[:, 0], crops[:, 3] - crops[:, 1]).clamp_min(1)
    return [min(max(blur, min_image_px * size / float(side)), size / 6) for side in sides]


def jittered_boxes(crops: torch.Tensor, jitter: float, generator: torch.Generator,
                   size: tuple[int, int]) -> torch.Tensor:
    """``crops`` ``(K, 4)`` moved by up to ``jitter × side`` along each axis and scaled by a
    factor in ``[1 − jitter, 1 + jitter]`` (uniform draws from ``generator``, a CPU generator),
    kept inside the image ``size = (w, h)`` by moving them back where needed."""
    draws = torch.rand(len(crops), 3, generator=generator) * 2 - 1
    draws = draws.to(crops)
    sides = crops[:, 2:] - crops[:, :2]
    centres = (crops[:, :2] + crops[:, 2:]) / 2 + draws[:, :2] * jitter * sides
    half = sides * (1 + draws[:, 2:] * jitter) / 2
    frame = torch.tensor(size, dtype=crops.dtype, device=crops.device)
    half = torch.minimum(half, frame / 2)
    centres = torch.maximum(torch.minimum(centres, frame - half), half)
    return torch.cat([centres - half, centres + half], dim=1)


def reliability(landmarks: torch.Tensor, presence: torch.Tensor) -> torch.Tensor:
    """How far each face's landmarks can be trusted, ``(K,)`` in [0, 1]: FaceMesh's presence
    probability ``presence`` ``(K,)`` times the face's frontality, ``1 − |2r − 1|`` where ``r``
    is the nose tip's horizontal position between the outer eye corners (``landmarks``
    ``(K, 468, ≥2)``; 1 when the nose is midway, 0 in profile)."""
    right = landmarks[:, RIGHT_EYE_OUTER, 0]
    left = landmarks[:, LEFT_EYE_OUTER, 0]
    nose = landmarks[:, NOSE_TIP, 0]
    span = (left - right).abs().clamp_min(1e-6)
    ratio = ((nose - torch.minimum(left, right)) / span).clamp(0, 1)
    return presence * (1 - (2 * ratio - 1).abs())
