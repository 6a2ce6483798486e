"""The loss terms of Crowson's style transfer (ALGORITHM.md §2)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

EPS = 1e-8
CONTENT_LAYERS = (22,)
STYLE_LAYERS = (1, 6, 11, 20, 29)
STYLE_LAYER_WEIGHTS = (256, 64, 16, 4, 1)


def scaled_squared_error(input: torch.Tensor, target: torch.Tensor,
                         eps: float = EPS) -> torch.Tensor:
    """``Σ(x−t)² / (Σ|x−t| + ε)``: squared error whose gradient has an L1 norm of about 1."""
    diff = input - target
    return diff.pow(2).sum() / diff.abs().sum().add(eps)


def gram(features: torch.Tensor) -> torch.Tensor:
    """Gram matrix of ``(N, C, H, W)`` features, normalised by the number of positions H·W:
    ``(N, C, C)``."""
    matrix = features.flatten(-2)
    return matrix @ matrix.transpose(-2, -1) / matrix.shape[-1]


def total_variation(image: torch.Tensor) -> torch.Tensor:
    """L2 total variation of ``(N, C, H, W)``, replicate-padded right and bottom by one."""
    padded = F.pad(image, (0, 1, 0, 1), "replicate")
    dx = padded[..., :-1, 1:] - padded[..., :-1, :-1]
    dy = padded[..., 1:, :-1] - padded[..., :-1, :-1]
    return (dx**2 + dy**2).mean()


def normalised(weights: list[float] | tuple[float, ...]) -> list[float]:
    """Weights divided by the sum of their absolute values."""
    total = sum(abs(w) for w in weights)
    return [w / total for w in weights]


class StyleObjective(nn.Module):
    """Content, style and TV terms for one scale, against fixed targets.

    ``content_targets`` / ``style_targets``: layer index -> VGG activation / Gram target.
    Called with the VGG feature map of the iterate, returns named weighted terms.
    """

    def __init__(self, content_targets: dict[int, torch.Tensor],
                 style_targets: dict[int, torch.Tensor], content_weight: float,
                 tv_weight: float) -> None:
        super().__init__()
        self.content_targets = content_targets
        self.style_targets = style_targets
        device = next(iter(content_targets.values())).device
        # Weights as float32 tensors, so the arithmetic matches the reference bit for bit.
        per_layer = content_weight / len(content_targets)
        self.content_weights = {layer: torch.tensor(per_layer, device=device)
                                for layer in content_targets}
        self.style_weights = {layer: torch.tensor(w, device=device) for layer, w in
                              zip(STYLE_LAYERS, normalised(STYLE_LAYER_WEIGHTS), strict=True)}
        self.tv_weight = torch.tensor(tv_weight, device=device)

    def forward(self, feats: dict[int | str, torch.Tensor]) -> dict[str, torch.Tensor]:
        content = sum(scaled_squared_error(feats[layer], target) * self.content_weights[layer]
                      for layer, target in self.content_targets.items())
        style = sum(scaled_squared_error(gram(feats[layer]), target) * self.style_weights[layer]
                    for layer, target in self.style_targets.items())
        tv = total_variation(feats["input"]) * self.tv_weight
        return {"content": content, "style": style, "tv": tv}
