"""How much fine texture a result has inside a region, against the photograph's own: the root
mean square of the Laplacian, per colour channel and over three octaves (issue 9's measure of
the face terms' "maze").

A stylized face is normally smoother than the photograph (ratio well below 1 with the face
terms off); an optimizer that satisfies a face network by painting texture pushes it above 1,
more detail than the photograph itself has. The maze is not always fine or grey: through
blurred crops the optimizer paints 2–4 px wide coloured strokes (portrait_b at 192 px: 0.90 on
the luma Laplacian at full resolution, 1.33 on the colour Laplacian at half resolution, against
0.2–0.25 with the face terms off), so the ratio is the largest over the channels' Laplacian at
1, 2 and 4 px.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

# The 5-point discrete Laplacian.
LAPLACIAN = ((0.0, 1.0, 0.0), (1.0, -4.0, 1.0), (0.0, 1.0, 0.0))
# The scales the ratio looks at: 1, 2 and 4 px (each an average-pooled octave).
OCTAVES = 3
# A face may carry up to 1.5 times the texture the style put elsewhere (issue 9's goal:
# no face above max(1.0, 1.5 × its value with the face terms off).
BOUND_FACTOR = 1.5


def laplacian(image: torch.Tensor) -> torch.Tensor:
    """The Laplacian of each channel of ``image`` ``(1, C, H, W)``: ``(C, H, W)``, with
    replicated borders (so a flat image gives 0 everywhere)."""
    channels = image.shape[1]
    kernel = torch.tensor(LAPLACIAN, dtype=image.dtype, device=image.device)
    padded = F.pad(image, (1, 1, 1, 1), mode="replicate")
    return F.conv2d(padded, kernel.expand(channels, 1, 3, 3), groups=channels)[0]


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


def _octave(image: torch.Tensor, mask: torch.Tensor, octave: int) -> tuple[torch.Tensor,
                                                                           torch.Tensor]:
    """``image`` average-pooled by ``2**octave`` and ``mask`` kept where it covers at least
    half of each pooled cell."""
    if octave == 0:
        return image, mask
    factor = 2 ** octave
    pooled = F.avg_pool2d(mask[None, None].to(image.dtype), factor)[0, 0] >= 0.5
    return F.avg_pool2d(image, factor), pooled


def texture_ratio(content: torch.Tensor, result: torch.Tensor, mask: torch.Tensor) -> float:
    """The largest, over :data:`OCTAVES` octaves (1, 2, 4 px), of the RMS of the result's
    Laplacian (every channel) over the pixels of ``mask`` ``(H, W)`` bool, divided by the
    content's; ``content`` and ``result`` ``(1, 3, H, W)`` in [0, 1]. Octaves where the mask
    covers no pooled pixel are skipped. Infinite when the content is flat there and the result
    is not; ValueError for an empty mask."""
    if not bool(mask.any()):
        raise ValueError("the texture ratio needs a region of at least one pixel")
    mask = mask.to(content.device)
    ratios = []
    for octave in range(OCTAVES):
        (own_image, region), (made_image, _) = (_octave(content, mask, octave),
                                                _octave(result, mask, octave))
        if not bool(region.any()):
            continue
        own = _rms(laplacian(own_image)[:, region])
        made = _rms(laplacian(made_image)[:, region])
        ratios.append(made / own if own > 0 else 0.0 if made == 0 else float("inf"))
    return max(ratios)


def texture_bound(content: torch.Tensor, result: torch.Tensor, crops: torch.Tensor) -> float:
    """The most texture a face may carry: ``max(1, 1.5 × r)``, where ``r`` is the texture ratio
    of the image outside every face crop ``(K, 4)`` (what the style did where no face term
    pulls; 1 when the crops cover the whole image)."""
    h, w = content.shape[2:]
    outside = ~box_mask((w, h), crops)
    if not bool(outside.any()):
        return 1.0
    return max(1.0, BOUND_FACTOR * texture_ratio(content, result, outside))
