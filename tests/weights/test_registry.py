"""The weights registry: what may be downloaded, where it is looked for, what a user is told."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import platformdirs
import pytest

from backend.weights import (
    REGISTRY,
    MissingWeights,
    RandomWeightsWarning,
    WeightsError,
    cache_dir,
    resolve,
)
from backend.weights.registry import ENV_CACHE, cached_path, spec

FLAGS = {"vgg19": "--vgg-weights", "facenet-vggface2": "--facenet-weights"}


@pytest.fixture
def empty_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(ENV_CACHE, str(tmp_path))
    return tmp_path


def test_registry_lists_vgg19_and_facenet() -> None:
    assert set(REGISTRY) == {"vgg19", "facenet-vggface2"}
    assert REGISTRY["vgg19"].filename == "vgg19-dcbb9e9d.pth"
    assert REGISTRY["facenet-vggface2"].filename == "20180402-114759-vggface2.pt"


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_each_entry_is_complete(name: str) -> None:
    entry = REGISTRY[name]
    assert entry.name == name
    assert entry.url.startswith("https://") and entry.url.endswith("/" + entry.filename)
    assert re.fullmatch(r"[0-9a-f]{64}", entry.sha256)
    assert entry.size > 1_000_000
    assert entry.licence and entry.purpose
    assert entry.flag == FLAGS[name]


def test_torchvision_file_name_carries_the_start_of_its_hash() -> None:
    # torchvision names its files NAME-<first 8 hex digits of the SHA-256>.
    entry = REGISTRY["vgg19"]
    assert entry.filename == f"vgg19-{entry.sha256[:8]}.pth"


def test_cache_dir_follows_the_environment_variable(empty_cache: Path) -> None:
    assert cache_dir() == empty_cache
    assert cached_path("vgg19") == empty_cache / "vgg19-dcbb9e9d.pth"


def test_cache_dir_defaults_to_the_per_user_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_CACHE, raising=False)
    expected = Path(platformdirs.user_cache_dir("portrait-stylization")) / "weights"
    assert cache_dir() == expected


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_override_path_is_used_as_given(empty_cache: Path, name: str) -> None:
    own = empty_cache / "elsewhere" / "my-copy.pth"
    own.parent.mkdir()
    own.write_bytes(b"the user's own file is not checked against the registry")
    assert resolve(name, own) == own
    assert resolve(name, str(own), allow_random=True) == own


def test_missing_override_names_the_flag_and_the_path(empty_cache: Path) -> None:
    missing = empty_cache / "nowhere.pth"
    with pytest.raises(MissingWeights, match=f"--vgg-weights {re.escape(str(missing))}: no such"):
        resolve("vgg19", missing, allow_random=True)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_cached_download_is_found(empty_cache: Path, name: str) -> None:
    cached = empty_cache / REGISTRY[name].filename
    cached.write_bytes(b"weights")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RandomWeightsWarning)
        assert resolve(name) == cached
        assert resolve(name, allow_random=True) == cached


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_missing_weights_message_says_what_where_and_how_to_fetch(empty_cache: Path,
                                                                  name: str) -> None:
    entry = REGISTRY[name]
    with pytest.raises(MissingWeights) as caught:
        resolve(name)
    message = str(caught.value)
    assert entry.filename in message
    assert str(empty_cache / entry.filename) in message
    assert f"portrait-stylize weights fetch {name}" in message
    assert f"{entry.flag} PATH" in message
    assert entry.url in message
    assert "--allow-random-weights" in message
    assert "\n" not in message


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_allow_random_gives_none_and_warns_loudly(empty_cache: Path, name: str) -> None:
    with pytest.warns(RandomWeightsWarning, match=f"SEEDED RANDOM WEIGHTS FOR {name.upper()}"):
        assert resolve(name, allow_random=True) is None


def test_missing_weights_is_a_weights_error() -> None:
    assert issubclass(MissingWeights, WeightsError)


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(WeightsError, match="unknown weights 'resnet50'; known: vgg19, "
                                           "facenet-vggface2"):
        spec("resnet50")
