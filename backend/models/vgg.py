"""VGG-19 feature extractor as Crowson's style transfer uses it (docs/engine.md, Features).

Layers are named as in Simonyan & Zisserman's VGG-19 and the style-transfer literature:
``conv{block}_{n}``, ``relu{block}_{n}``, ``pool{block}`` (``relu4_2`` is index 22 of
torchvision's ``features``)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from itertools import islice
from pathlib import Path

import torch
from torch import nn
from torchvision.models.vgg import cfgs, make_layers

from backend.models.precision import autocast, fp16_gradient_scale, scale_gradient

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
POOLING_SCALES = {"max": 1.0, "average": 2.0, "l2": 0.78}
CONVS_PER_BLOCK = (2, 2, 4, 4, 4)
RANDOM_SEED = 19


def _layer_names() -> tuple[str, ...]:
    names: list[str] = []
    for block, convs in enumerate(CONVS_PER_BLOCK, 1):
        for n in range(1, convs + 1):
            names += [f"conv{block}_{n}", f"relu{block}_{n}"]
        names.append(f"pool{block}")
    return tuple(names)


LAYER_NAMES = _layer_names()
"""The 37 modules of torchvision's VGG-19 ``features``, by name, in order."""


class CheckpointError(Exception):
    """A checkpoint file is not a usable VGG-19 state dict."""


class Scaled(nn.Module):
    """A module whose output is multiplied by a constant (keeps activation scale when the
    pooling type changes)."""

    def __init__(self, module: nn.Module, scale: float) -> None:
        super().__init__()
        self.module = module
        self.register_buffer("scale", torch.tensor(scale))

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return self.module(input) * self.scale


def _pool(pooling: str) -> nn.Module:
    if pooling == "average":
        return Scaled(nn.AvgPool2d(2), POOLING_SCALES["average"])
    return Scaled(nn.LPPool2d(2, 2), POOLING_SCALES["l2"])


def _replicate_padded(conv: nn.Conv2d) -> nn.Conv2d:
    """The same convolution with replicate padding, which reduces edge artefacts."""
    padded = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size,
                       stride=conv.stride, padding=conv.padding, padding_mode="replicate")
    with torch.no_grad():
        padded.weight.copy_(conv.weight)
        padded.bias.copy_(conv.bias)
    return padded


def _random_features() -> nn.Sequential:
    """VGG-19 convolutions initialised as torchvision initialises an untrained VGG, seeded."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(RANDOM_SEED)
        features = make_layers(cfgs["E"])
        for module in features:
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(module.bias)
    return features


def load_vgg19_features(checkpoint: Path | None) -> nn.Sequential:
    """torchvision's VGG-19 ``features`` (without the classifier) with weights from a
    torchvision-format checkpoint (``features.N.weight`` keys), or seeded random weights when
    ``checkpoint`` is None."""
    features = _random_features()
    if checkpoint is None:
        return features
    try:
        state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises several types for unreadable files
        raise CheckpointError(f"{checkpoint}: not a readable PyTorch checkpoint ({err})") from err
    if not isinstance(state, dict):
        raise CheckpointError(f"{checkpoint}: expected a state dict, found {type(state).__name__}")
    wanted = {k.removeprefix("features."): v for k, v in state.items()
              if k.startswith("features.")}
    expected = features.state_dict()
    missing = [f"features.{key}" for key in expected if key not in wanted]
    if missing:
        raise CheckpointError(f"{checkpoint}: not a torchvision VGG-19 checkpoint: "
                              f"{len(missing)} of its {len(expected)} feature tensors are "
                              f"missing (first: {missing[0]})")
    try:
        features.load_state_dict(wanted)
    except RuntimeError as err:
        detail = "; ".join(line.strip() for line in str(err).splitlines()[1:])
        raise CheckpointError(f"{checkpoint}: not a torchvision VGG-19 checkpoint: "
                              f"{detail}") from err
    return features


def layer_index(name: str) -> int:
    """Position of a layer (``"relu4_2"`` → 22) in VGG-19's ``features``; ValueError if
    VGG-19 has no layer of that name."""
    try:
        return LAYER_NAMES.index(name)
    except ValueError:
        raise ValueError(f"VGG-19 has no layer {name!r}; its layers are {', '.join(LAYER_NAMES)}"
                         ) from None


def layer_stride(name: str) -> int:
    """Input pixels per position of a layer's activation along each axis (``"relu4_2"`` → 8):
    2 to the number of 2×2 poolings before it. ValueError if VGG-19 has no such layer."""
    return 2 ** sum(1 for earlier in LAYER_NAMES[:layer_index(name)] if earlier.startswith("pool"))


def in_network_order(layers: Sequence[str]) -> list[str]:
    """Distinct layer names, shallowest first."""
    return sorted(set(layers), key=layer_index)


class VGGFeatures(nn.Module):
    """VGG-19 activations at named layers (``relu1_1`` … ``relu5_1``, see :data:`LAYER_NAMES`).

    Input ``(N, 3, H, W)`` sRGB in [0, 1], normalised with ImageNet statistics inside. The first
    convolution pads by replication; non-max pooling is rescaled so activations stay comparable.
    The network is cut after the deepest of ``layers``; its modules carry the layer names.
    """

    def __init__(self, layers: Sequence[str], features: nn.Sequential,
                 pooling: str = "max") -> None:
        super().__init__()
        self.layers = in_network_order(layers)
        depth = layer_index(self.layers[-1]) + 1
        model = nn.Sequential(OrderedDict(zip(LAYER_NAMES[:depth], features[:depth],
                                              strict=True)))
        model[0] = _replicate_padded(model[0])
        if pooling != "max":
            for i, layer in enumerate(model):
                if isinstance(layer, nn.MaxPool2d):
                    model[i] = _pool(pooling)
        self.model = model.eval().requires_grad_(False)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN)[:, None, None])
        self.register_buffer("std", torch.tensor(IMAGENET_STD)[:, None, None])
        self.autocast_dtype: torch.dtype | None = None  # backend/models/precision.py
        self.channels_last = False  # the input's memory format (set with the weights')

    @staticmethod
    def min_size(layers: Sequence[str]) -> int:
        """Smallest input side for which every pooling before the deepest of ``layers`` still
        has input: doubles with each ``pool`` passed."""
        depth = max(layer_index(name) for name in layers)
        return 2 ** sum(1 for index, name in enumerate(LAYER_NAMES)
                        if name.startswith("pool") and index <= depth)

    def forward(self, input: torch.Tensor, layers: Sequence[str] | None = None,
                between_layers: Callable[[], None] | None = None) -> dict[str, torch.Tensor]:
        """Map of layer name to activation ``(N, C, h, w)``, plus ``"input"`` to ``input``
        itself. ``layers`` default to the constructor's. ``between_layers`` (when given) is
        called after each layer, e.g. to check for cancellation. With ``autocast_dtype`` set
        (bf16, fp16) the layers run under autocast and the activations come back as fp32
        (backend/models/precision.py). ValueError if ``input`` is smaller than
        :meth:`min_size` of ``layers``."""
        layers = self.layers if layers is None else in_network_order(layers)
        h, w = input.shape[2:]
        least = self.min_size(layers)
        if min(h, w) < least:
            raise ValueError(f"input is {h}x{w} but must be at least {least}x{least}")
        dtype = self.autocast_dtype
        scale = fp16_gradient_scale((h, w)) if dtype == torch.float16 else 1.0
        feats: dict[str, torch.Tensor] = {}
        x = scale_gradient((input - self.mean) / self.std, 1 / scale)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with autocast(input.device, dtype):
            for name, module in islice(self.model.named_children(),
                                       layer_index(layers[-1]) + 1):
                x = module(x)
                if name in layers:
                    feats[name] = x
                if between_layers is not None:
                    between_layers()
        if dtype is not None:
            feats = {name: scale_gradient(f.float(), scale) for name, f in feats.items()}
        return {"input": input, **feats}
