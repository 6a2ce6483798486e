"""FaceNet (facenet-pytorch's InceptionResnetV1) as a feature extractor for the FaceID loss."""

from __future__ import annotations

from pathlib import Path

import torch
from facenet_pytorch import InceptionResnetV1
from torch import nn

from backend.models.vgg import CheckpointError

RANDOM_SEED = 160
LAYER_NAMES = ("conv2d_1a", "conv2d_2a", "conv2d_2b", "maxpool_3a", "conv2d_3b", "conv2d_4a",
               "conv2d_4b", "repeat_1", "mixed_6a", "repeat_2", "mixed_7a", "repeat_3", "block8",
               "avgpool_1a", "dropout")
# The VGGFace2 checkpoint carries an 8631-way classifier the feature extractor never uses.
CLASSIFIER_PREFIX = "logits."


class FaceNetCheckpointError(CheckpointError):
    """A checkpoint file is not a usable facenet-pytorch InceptionResnetV1 state dict."""


def load_inception_resnet_v1(checkpoint: Path | None) -> InceptionResnetV1:
    """InceptionResnetV1 with weights from a facenet-pytorch-format state dict (the VGGFace2
    checkpoint ``20180402-114759-vggface2.pt``, keys like ``conv2d_1a.conv.weight``), or seeded
    random weights when ``checkpoint`` is None. Returned in eval mode."""
    if checkpoint is None:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(RANDOM_SEED)
            return InceptionResnetV1(pretrained=None).eval()
    network = InceptionResnetV1(pretrained=None)
    try:
        state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises several types for unreadable files
        raise FaceNetCheckpointError(f"{checkpoint}: not a readable PyTorch checkpoint "
                                     f"({err})") from err
    if not isinstance(state, dict):
        raise FaceNetCheckpointError(f"{checkpoint}: expected a state dict, found "
                                     f"{type(state).__name__}")
    wanted = {k: v for k, v in state.items() if not k.startswith(CLASSIFIER_PREFIX)}
    try:
        network.load_state_dict(wanted)
    except RuntimeError as err:
        raise FaceNetCheckpointError(
            f"{checkpoint}: not a facenet-pytorch InceptionResnetV1 state dict: "
            f"{str(err).splitlines()[0]}") from err
    return network.eval()


class FaceNetFeatures(nn.Module):
    """Outputs of chosen InceptionResnetV1 children, run in order.

    Input ``(N, 3, H, W)`` sRGB in [0, 1] (face crops are 160×160; whole images any size of at
    least 75 px); it is standardised inside as facenet-pytorch expects, ``(255·x − 127.5) / 128``.
    Returns ``{child index: activation (N, C, h, w)}``. Parameters are frozen.
    """

    def __init__(self, layers: tuple[int, ...] | list[int], network: InceptionResnetV1) -> None:
        super().__init__()
        self.layers = tuple(sorted(set(layers)))
        if not self.layers or not 0 <= self.layers[0] <= self.layers[-1] < len(LAYER_NAMES):
            raise ValueError(f"FaceNet layers must lie in 0..{len(LAYER_NAMES) - 1}, "
                             f"got {list(layers)}")
        children = list(network.children())[: self.layers[-1] + 1]
        # The paper asks for replicate padding on the first convolution (docs/faces.md).
        # conv2d_1a is a valid (unpadded) convolution, so the mode changes no output; it is set
        # in place so the real weights stay, and no new bias is created (the paper's
        # replacement conv added a random one).
        children[0].conv.padding_mode = "replicate"
        self.children_ = nn.ModuleList(children).eval().requires_grad_(False)

    @staticmethod
    def standardise(image: torch.Tensor) -> torch.Tensor:
        """``(N, 3, H, W)`` in [0, 1] → facenet-pytorch's input range, about [−1, 1]."""
        return (image * 255 - 127.5) / 128

    def forward(self, image: torch.Tensor) -> dict[int, torch.Tensor]:
        x = self.standardise(image)
        features = {}
        for index, child in enumerate(self.children_):
            x = child(x)
            if index in self.layers:
                features[index] = x
        return features
