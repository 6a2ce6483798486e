"""How much fine texture a result has inside a region, against the photograph's own: the root
mean square of the Laplacian of the luminance (issue 9's measure of the mesh term's "maze").

A stylized face is normally smoother than the photograph (ratio well below 1 with the face
terms off); an optimizer that satisfies a landmark regressor by painting high-frequency texture
pushes it above 1, more fine detail than the photograph itself has.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

# ITU-R BT.601 luma weights.
LUMA = (0.299, 0.587, 0.114)
# The 5-point discrete Laplacian.
LAPLACIAN = ((0.0, 1.0, 0.0), (1.0, -4.0, 1.0), (0.0, 1.0, 0.0))
# A face may carry up to 1.5 times the texture the style put elsewhere (issue 9's goal:
# no face above max(1.0, 1.5 × its value with the face terms off).
BOUND_FACTOR = 1.5


def laplacian(image: torch.Tensor) -> torch.Tensor:
    """The Laplacian of the luminance of ``image`` ``(1, 3, H, W)`` in [0, 1]: ``(H, W)``, with
    replicated borders (so a flat image gives 0 everywhere)."""
    weights = torch.tensor(LUMA, dtype=image.dtype, device=image.device)
    luma = (image[0] * weights[:, None, None]).sum(0)[None, None]
    kernel = torch.tensor(LAPLACIAN, dtype=image.dtype, device=image.device)[None, None]
    return F.conv2d(F.pad(luma, (1, 1, 1, 1), mode="replicate"), kernel)[0, 0]


def box_mask(size: tuple[int, int], crops: torch.Tensor) -> torch.Tensor:
    """``(H, W)`` bool, True at the pixels whose centres lie inside any of ``crops`` ``(K, 4)``
    (``x0, y0, x1, y1`` in pixels; ``size = (w, h)``)."""
    w, h = size
    xs = torch.arange(w, dtype=torch.float32) + 0.5
    ys = torch.arange(h, dtype=torch.float32) + 0.5
    mask = torch.zeros(h, w, dtype=torch.bool)
    for x0, y0, x1, y1 in crops.tolist():
        mask |= ((ys >= y0) & (ys < y1))[:, None] & ((xs >= x0) & (xs < x1))[None, :]
    return mask


def _rms(values: torch.Tensor) -> float:
    return float(values.double().square().mean().sqrt())


def texture_ratio(content: torch.Tensor, result: torch.Tensor, mask: torch.Tensor) -> float:
    """RMS of the result's Laplacian over the pixels of ``mask`` ``(H, W)`` bool, divided by the
    content's over the same pixels; ``content`` and ``result`` ``(1, 3, H, W)`` in [0, 1].
    Infinite when the content is flat there and the result is not; ValueError for an empty
    mask."""
    if not bool(mask.any()):
        raise ValueError("the texture ratio needs a region of at least one pixel")
    mask = mask.to(content.device)
    own = _rms(laplacian(content)[mask])
    made = _rms(laplacian(result)[mask])
    if own == 0:
        return 0.0 if made == 0 else float("inf")
    return made / own


def texture_bound(content: torch.Tensor, result: torch.Tensor, crops: torch.Tensor) -> float:
    """The most texture a face may carry: ``max(1, 1.5 × r)``, where ``r`` is the texture ratio
    of the image outside every face crop ``(K, 4)`` (what the style did where no face term
    pulls; 1 when the crops cover the whole image)."""
    h, w = content.shape[2:]
    outside = ~box_mask((w, h), crops)
    if not bool(outside.any()):
        return 1.0
    return max(1.0, BOUND_FACTOR * texture_ratio(content, result, outside))
