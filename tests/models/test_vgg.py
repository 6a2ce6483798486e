"""VGG-19 features (docs/engine.md, The method): torchvision checkpoints, replicate padding,
pooling, named layers."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import torch
import torchvision
from torch import nn
from torch.nn import functional as F
from torchvision.models.vgg import cfgs, make_layers

from backend.models.bundle import DeviceError, ModelBundle, pick_device
from backend.models.vgg import (
    LAYER_NAMES,
    CheckpointError,
    VGGFeatures,
    layer_index,
    layer_stride,
    load_vgg19_features,
)
from backend.weights import MissingWeights, RandomWeightsWarning, WeightsConfig
from backend.weights.registry import ENV_CACHE

MEAN = torch.tensor([0.485, 0.456, 0.406])[:, None, None]
STD = torch.tensor([0.229, 0.224, 0.225])[:, None, None]


@pytest.fixture(scope="module")
def torchvision_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A torchvision-format VGG-19 checkpoint (features and classifier), seeded."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1234)
        state = torchvision.models.vgg19(weights=None).state_dict()
    path = tmp_path_factory.mktemp("vgg") / "vgg19-test.pth"
    torch.save(state, path)
    return path, {k: v for k, v in state.items() if k.startswith("features.")}


@pytest.fixture(scope="module")
def features_only_checkpoint(torchvision_checkpoint: tuple[Path, dict],
                             tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same features without the 480 MB classifier (quicker to load)."""
    path = tmp_path_factory.mktemp("vgg") / "vgg19-features.pth"
    torch.save(torchvision_checkpoint[1], path)
    return path


@pytest.fixture(scope="module")
def features(torchvision_checkpoint: tuple[Path, dict]) -> nn.Sequential:
    return load_vgg19_features(torchvision_checkpoint[0])


def _image(size: int = 32, seed: int = 0) -> torch.Tensor:
    return torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(seed))


def test_torchvision_checkpoint_loads_into_the_features(
        torchvision_checkpoint: tuple[Path, dict], features: nn.Sequential) -> None:
    _, expected = torchvision_checkpoint
    loaded = {f"features.{k}": v for k, v in features.state_dict().items()}
    assert loaded.keys() == expected.keys()
    for key, value in expected.items():
        assert torch.equal(loaded[key], value), key


def test_first_convolution_pads_by_replication(features: nn.Sequential) -> None:
    model = VGGFeatures(["relu1_1"], features)
    x = _image()
    normalised = (x - MEAN) / STD
    conv = features[0]
    expected = F.relu(F.conv2d(F.pad(normalised, (1, 1, 1, 1), mode="replicate"), conv.weight,
                               conv.bias))
    zero_padded = F.relu(conv(normalised))
    actual = model(x)["relu1_1"]
    torch.testing.assert_close(actual, expected, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(actual[..., 0, :], zero_padded[..., 0, :], atol=1e-3)
    torch.testing.assert_close(actual[..., 1:-1, 1:-1], zero_padded[..., 1:-1, 1:-1])


def test_shared_features_keep_their_zero_padding(features: nn.Sequential) -> None:
    VGGFeatures(["relu1_1", "relu5_1"], features, pooling="average")
    assert features[0].padding_mode == "zeros"
    assert isinstance(features[4], nn.MaxPool2d)


def test_max_pooling_is_kept(features: nn.Sequential) -> None:
    model = VGGFeatures(["pool1"], features, pooling="max")
    assert isinstance(model.model[4], nn.MaxPool2d)


@pytest.mark.parametrize(("pooling", "scale"), [("average", 2.0), ("l2", 0.78)])
def test_other_pooling_replaces_max_pooling_and_is_rescaled(features: nn.Sequential,
                                                            pooling: str, scale: float) -> None:
    model = VGGFeatures(["relu1_2", "pool1", "relu5_1"], features, pooling=pooling)
    assert not any(isinstance(layer, nn.MaxPool2d) for layer in model.model)
    feats = model(_image(), layers=["relu1_2", "pool1"])
    before = feats["relu1_2"]
    if pooling == "average":
        pooled = F.avg_pool2d(before, 2)
    else:
        pooled = F.avg_pool2d(before**2, 2).mul(4).sqrt()
    torch.testing.assert_close(feats["pool1"], pooled * scale, rtol=1e-5, atol=1e-6)


def test_features_come_back_at_the_asked_layers_with_the_input(features: nn.Sequential) -> None:
    model = VGGFeatures(["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu4_2", "relu5_1"],
                        features)
    x = _image(64)
    feats = model(x, layers=["relu4_2", "relu5_1"])
    assert set(feats) == {"input", "relu4_2", "relu5_1"}
    assert feats["input"] is x
    assert feats["relu4_2"].shape == (1, 512, 8, 8) and feats["relu5_1"].shape == (1, 512, 4, 4)


@pytest.mark.parametrize(("name", "index"), [("relu1_1", 1), ("relu2_1", 6), ("relu3_1", 11),
                                             ("relu4_1", 20), ("relu4_2", 22), ("relu5_1", 29),
                                             ("pool5", 36)])
def test_layer_names_are_the_torchvision_indices(name: str, index: int) -> None:
    assert layer_index(name) == index and LAYER_NAMES[index] == name


def test_named_layers_are_the_modules_of_their_kind(features: nn.Sequential) -> None:
    model = VGGFeatures(["relu5_1"], features)
    assert len(LAYER_NAMES) == len(features) == 37
    kinds = {"conv": nn.Conv2d, "relu": nn.ReLU, "pool": nn.MaxPool2d}
    for name, module in model.model.named_children():
        assert isinstance(module, kinds[name[:4]]), name


def test_an_unknown_layer_name_is_refused_naming_the_known_ones(
        features: nn.Sequential) -> None:
    with pytest.raises(ValueError, match="no layer 'relu6_1'.*relu4_2"):
        VGGFeatures(["relu6_1"], features)


def test_the_between_layers_hook_runs_after_every_layer_passed(features: nn.Sequential) -> None:
    model = VGGFeatures(["relu3_1"], features)
    calls = []
    model(_image(), between_layers=lambda: calls.append(len(calls)))
    assert len(calls) == layer_index("relu3_1") + 1


@pytest.mark.parametrize(("layers", "least"), [(["relu1_1"], 1), (["relu2_1"], 2),
                                               (["relu4_2"], 8), (["relu1_1", "relu5_1"], 16)])
def test_minimum_input_side_doubles_with_each_pooling_passed(layers: list[str],
                                                              least: int) -> None:
    assert VGGFeatures.min_size(layers) == least


@pytest.mark.parametrize("layer", ["relu1_1", "relu2_1", "relu3_1", "relu4_2", "relu5_1"])
def test_a_layers_stride_is_the_input_pixels_per_activation_position(layer: str) -> None:
    features = VGGFeatures([layer], make_layers(cfgs["E"]))
    activation = features(torch.rand(1, 3, 64, 96))[layer]
    assert (64 // activation.shape[-2], 96 // activation.shape[-1]) == (layer_stride(layer),) * 2


def test_too_small_input_is_refused_with_the_size_needed(features: nn.Sequential) -> None:
    model = VGGFeatures(["relu5_1"], features)
    with pytest.raises(ValueError, match="at least 16x16"):
        model(_image(15))


def test_features_do_not_need_gradients_but_pass_them_to_the_input(
        features: nn.Sequential) -> None:
    model = VGGFeatures(["relu2_1"], features)
    x = _image().requires_grad_()
    model(x)["relu2_1"].sum().backward()
    assert all(p.grad is None for p in model.parameters())
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_state_dict_with_wrong_keys_is_a_checkpoint_error(
        torchvision_checkpoint: tuple[Path, dict], tmp_path: Path) -> None:
    path = tmp_path / "resnet.pth"
    torch.save({"conv1.weight": torch.zeros(64, 3, 7, 7)}, path)
    with pytest.raises(CheckpointError, match="not a torchvision VGG-19 checkpoint") as caught:
        load_vgg19_features(path)
    n_tensors = len(torchvision_checkpoint[1])
    assert str(path) in str(caught.value)
    assert f"{n_tensors} of its {n_tensors} feature tensors are missing" in str(caught.value)
    assert "features.0.weight" in str(caught.value)


def test_vgg16_checkpoint_is_a_checkpoint_error(tmp_path: Path) -> None:
    path = tmp_path / "vgg16.pth"
    vgg16_features = make_layers(cfgs["D"])
    torch.save({f"features.{k}": v for k, v in vgg16_features.state_dict().items()}, path)
    with pytest.raises(CheckpointError, match="not a torchvision VGG-19 checkpoint: .*missing "
                       r"\(first: features\.16\.weight\)"):
        load_vgg19_features(path)


def test_mis_shaped_tensor_is_named_in_the_checkpoint_error(
        torchvision_checkpoint: tuple[Path, dict], tmp_path: Path) -> None:
    state = dict(torchvision_checkpoint[1])
    state["features.2.weight"] = torch.zeros(64, 32, 3, 3)
    torch.save(state, tmp_path / "bad.pth")
    with pytest.raises(CheckpointError, match=r"size mismatch for 2\.weight"):
        load_vgg19_features(tmp_path / "bad.pth")


def test_file_that_is_not_a_checkpoint_is_a_checkpoint_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.pth"
    path.write_text("these are not weights\n")
    with pytest.raises(CheckpointError, match="not a readable PyTorch checkpoint") as caught:
        load_vgg19_features(path)
    assert str(path) in str(caught.value)


def test_checkpoint_holding_a_pickled_module_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "module.pth"
    torch.save(nn.Linear(2, 2), path)
    with pytest.raises(CheckpointError, match="not a readable PyTorch checkpoint"):
        load_vgg19_features(path)


def test_checkpoint_holding_a_tensor_is_a_checkpoint_error(tmp_path: Path) -> None:
    path = tmp_path / "tensor.pth"
    torch.save(torch.zeros(3), path)
    with pytest.raises(CheckpointError, match="expected a state dict, found Tensor"):
        load_vgg19_features(path)


def test_random_features_are_seeded_and_leave_the_global_generator_alone() -> None:
    torch.manual_seed(5)
    expected_draw = torch.rand(3)
    torch.manual_seed(5)
    first = load_vgg19_features(None)
    assert torch.equal(torch.rand(3), expected_draw)
    second = load_vgg19_features(None)
    for a, b in zip(first.state_dict().values(), second.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert first[0].weight.std() > 0


def test_bundle_loads_the_given_checkpoint_without_warning(
        torchvision_checkpoint: tuple[Path, dict], features_only_checkpoint: Path) -> None:
    path, expected = features_only_checkpoint, torchvision_checkpoint[1]
    bundle = ModelBundle("cpu", WeightsConfig(vgg=path))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RandomWeightsWarning)
        model = bundle.vgg()
    assert torch.equal(model.model[2].weight, expected["features.2.weight"])
    assert bundle.weights_used["vgg19"] == str(path)
    assert bundle.loaded() == ["vgg19/max"]


def test_bundle_with_random_weights_warns_and_records_it() -> None:
    bundle = ModelBundle("cpu", WeightsConfig(allow_random=True))
    with pytest.warns(RandomWeightsWarning, match="VGG19"):
        bundle.vgg()
    assert bundle.weights_used["vgg19"] == "seeded random"


def test_bundle_shares_one_set_of_weights_across_poolings(
        features_only_checkpoint: Path) -> None:
    bundle = ModelBundle("cpu", WeightsConfig(vgg=features_only_checkpoint))
    assert bundle.vgg("max").model[2].weight is bundle.vgg("average").model[2].weight
    assert bundle.loaded() == ["vgg19/max", "vgg19/average"]


def test_bundle_without_weights_names_the_missing_file(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_CACHE, str(tmp_path))
    with pytest.raises(MissingWeights, match="vgg19-dcbb9e9d.pth"):
        ModelBundle("cpu", WeightsConfig()).vgg()


def test_cpu_device_is_always_available() -> None:
    assert pick_device("cpu") == torch.device("cpu")
    assert ModelBundle("cpu").device == torch.device("cpu")


def test_unknown_device_is_a_device_error() -> None:
    with pytest.raises(DeviceError, match="unknown device 'gpu7'"):
        pick_device("gpu7")
