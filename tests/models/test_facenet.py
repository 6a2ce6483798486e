"""FaceNet feature extractor: layers, input range, checkpoints and the weights registry.

The VGGFace2 checkpoint is not reachable here, so checkpoints are written from seeded random
networks in the facenet-pytorch format (keys and the 8631-class classifier as in the real file).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from facenet_pytorch import InceptionResnetV1

from backend.models.bundle import ModelBundle
from backend.models.facenet import (
    FaceNetCheckpointError,
    FaceNetFeatures,
    load_inception_resnet_v1,
)
from backend.weights import MissingWeights, RandomWeightsWarning, WeightsConfig

CODE_LAYERS = (0, 1, 3, 4, 5)
VGGFACE2_CLASSES = 8631


@pytest.fixture(scope="module")
def network() -> InceptionResnetV1:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(7)
        return InceptionResnetV1(pretrained=None).eval()


@pytest.fixture(scope="module")
def faces() -> torch.Tensor:
    generator = torch.Generator().manual_seed(3)
    return torch.rand(2, 3, 160, 160, generator=generator)


@pytest.fixture
def vggface2_like_checkpoint(tmp_path: Path) -> Path:
    """A state dict shaped like ``20180402-114759-vggface2.pt`` (classifier included)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(11)
        trained = InceptionResnetV1(pretrained=None, classify=True,
                                    num_classes=VGGFACE2_CLASSES)
    path = tmp_path / "20180402-114759-vggface2.pt"
    torch.save(trained.state_dict(), path)
    return path


def test_outputs_have_the_shapes_of_the_chosen_children(network: InceptionResnetV1,
                                                        faces: torch.Tensor) -> None:
    features = FaceNetFeatures(CODE_LAYERS, network)(faces)
    assert {k: tuple(v.shape) for k, v in features.items()} == {
        0: (2, 32, 79, 79), 1: (2, 32, 77, 77), 3: (2, 64, 38, 38), 4: (2, 80, 38, 38),
        5: (2, 192, 36, 36)}


def test_features_are_those_of_the_unmodified_network(network: InceptionResnetV1,
                                                      faces: torch.Tensor) -> None:
    # The paper's code replaced the first conv by one with a fresh random bias; ours must leave
    # the activations exactly those of facenet-pytorch's own modules.
    x = (faces * 255 - 127.5) / 128
    expected = {}
    with torch.no_grad():
        for index, child in enumerate(list(network.children())[:6]):
            x = child(x)
            expected[index] = x
        features = FaceNetFeatures(CODE_LAYERS, network)(faces)
    for layer in CODE_LAYERS:
        assert torch.equal(features[layer], expected[layer])


def test_first_convolution_replicates_and_has_no_bias(network: InceptionResnetV1) -> None:
    first = FaceNetFeatures(CODE_LAYERS, network).children_[0].conv
    assert first.padding_mode == "replicate"
    assert first.bias is None


def test_input_is_standardised_as_facenet_pytorch_expects() -> None:
    ends = FaceNetFeatures.standardise(torch.tensor([0.0, 0.5, 1.0]))
    assert torch.allclose(ends, torch.tensor([-127.5 / 128, 0.0, 127.5 / 128]))


def test_layers_beyond_the_feature_children_are_refused(network: InceptionResnetV1) -> None:
    with pytest.raises(ValueError, match="0..14"):
        FaceNetFeatures((3, 15), network)


def test_gradients_reach_the_input_but_not_the_weights(network: InceptionResnetV1) -> None:
    model = FaceNetFeatures(CODE_LAYERS, network)
    image = torch.rand(1, 3, 160, 160, requires_grad=True)
    sum(f.square().mean() for f in model(image).values()).backward()
    assert image.grad is not None and image.grad.abs().sum() > 0
    assert all(not p.requires_grad for p in model.parameters())


def test_seeded_random_weights_are_the_same_every_time() -> None:
    first, second = load_inception_resnet_v1(None), load_inception_resnet_v1(None)
    assert all(torch.equal(a, b) for a, b in zip(first.state_dict().values(),
                                                 second.state_dict().values(), strict=True))


def test_facenet_pytorch_checkpoint_loads_without_its_classifier(
        vggface2_like_checkpoint: Path) -> None:
    loaded = load_inception_resnet_v1(vggface2_like_checkpoint).state_dict()
    saved = torch.load(vggface2_like_checkpoint, weights_only=True)
    assert not any(key.startswith("logits.") for key in loaded)
    assert all(torch.equal(value, saved[key]) for key, value in loaded.items())


def test_a_vgg_state_dict_is_a_facenet_checkpoint_error(tmp_path: Path) -> None:
    path = tmp_path / "wrong.pt"
    torch.save({"features.0.weight": torch.zeros(64, 3, 3, 3)}, path)
    with pytest.raises(FaceNetCheckpointError, match="not a facenet-pytorch InceptionResnetV1"):
        load_inception_resnet_v1(path)


def test_an_unreadable_file_is_a_facenet_checkpoint_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.pt"
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(FaceNetCheckpointError, match="not a readable PyTorch checkpoint"):
        load_inception_resnet_v1(path)


def test_bundle_loads_the_users_checkpoint_and_records_it(
        vggface2_like_checkpoint: Path) -> None:
    bundle = ModelBundle("cpu", WeightsConfig(facenet=vggface2_like_checkpoint))
    model = bundle.facenet(CODE_LAYERS)
    saved = torch.load(vggface2_like_checkpoint, weights_only=True)
    assert torch.equal(model.children_[0].conv.weight, saved["conv2d_1a.conv.weight"])
    assert bundle.weights_used["facenet-vggface2"] == str(vggface2_like_checkpoint)
    assert bundle.facenet(CODE_LAYERS) is model


def test_bundle_without_weights_names_the_file_and_the_fetch_command(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTRAIT_STYLIZATION_WEIGHTS", str(tmp_path))
    with pytest.raises(MissingWeights, match="20180402-114759-vggface2.pt") as error:
        ModelBundle("cpu").facenet(CODE_LAYERS)
    assert "weights fetch facenet-vggface2" in str(error.value)
    assert "--facenet-weights" in str(error.value)


def test_bundle_uses_seeded_random_weights_only_when_allowed_and_says_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTRAIT_STYLIZATION_WEIGHTS", str(tmp_path))
    bundle = ModelBundle("cpu", WeightsConfig(allow_random=True))
    with pytest.warns(RandomWeightsWarning, match="FACENET-VGGFACE2"):
        bundle.facenet(CODE_LAYERS)
    assert bundle.weights_used["facenet-vggface2"] == "seeded random"
