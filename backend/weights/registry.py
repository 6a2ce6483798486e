"""The one list of model files the backend may download, and where each is looked for.

MTCNN, FaceMesh and the portrait segmentation model ship inside the installed ``facenet-pytorch``
and ``mediapipe`` wheels and are not listed here: nothing needs fetching for them.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import platformdirs

ENV_CACHE = "PORTRAIT_STYLIZATION_WEIGHTS"


class WeightsError(Exception):
    """A weights file is missing, damaged or could not be fetched."""


class MissingWeights(WeightsError):
    """A needed weights file is not on disk."""


class ChecksumMismatch(WeightsError):
    """A file's SHA-256 is not the one the registry expects."""


class RandomWeightsWarning(UserWarning):
    """Seeded random weights stand in for a real checkpoint: results are not meaningful art."""


@dataclass(frozen=True)
class WeightsSpec:
    """One downloadable checkpoint."""

    name: str
    filename: str
    url: str
    size: int
    sha256: str
    licence: str
    flag: str
    purpose: str


REGISTRY: dict[str, WeightsSpec] = {
    spec.name: spec
    for spec in (
        WeightsSpec(
            name="vgg19",
            filename="vgg19-dcbb9e9d.pth",
            url="https://download.pytorch.org/models/vgg19-dcbb9e9d.pth",
            size=574_673_361,
            sha256="dcbb9e9dad569fff7a846263a77324fc34978fea2bfb039c012d710e1776ae44",
            licence="BSD-3-Clause (torchvision); VGG-19 by Simonyan & Zisserman, CC BY 4.0",
            flag="--vgg-weights",
            purpose="VGG-19 ImageNet features for the content and style losses",
        ),
        WeightsSpec(
            name="facenet-vggface2",
            filename="20180402-114759-vggface2.pt",
            url="https://github.com/timesler/facenet-pytorch/releases/download/v2.2.9/"
                "20180402-114759-vggface2.pt",
            size=111_898_327,
            sha256="281cebca8662831adb987a874bdcb36e73f5b1c6dc5ee5878f305e985625d99b",
            licence="MIT (facenet-pytorch, David Sandberg's facenet); trained on VGGFace2",
            flag="--facenet-weights",
            purpose="FaceNet (InceptionResnetV1) features for the FaceID loss",
        ),
    )
}


def cache_dir() -> Path:
    """Folder holding downloaded weights: ``$PORTRAIT_STYLIZATION_WEIGHTS`` or the per-user
    cache folder of this OS."""
    override = os.environ.get(ENV_CACHE)
    if override:
        return Path(override)
    return Path(platformdirs.user_cache_dir("portrait-stylization")) / "weights"


def spec(name: str) -> WeightsSpec:
    try:
        return REGISTRY[name]
    except KeyError:
        raise WeightsError(f"unknown weights {name!r}; known: {', '.join(REGISTRY)}") from None


def cached_path(name: str) -> Path:
    return cache_dir() / spec(name).filename


def missing_message(name: str, looked_in: list[Path]) -> str:
    """What a user reads when a checkpoint is not on disk."""
    entry = spec(name)
    places = ", ".join(str(p) for p in looked_in)
    return (f"missing weights file {entry.filename} ({entry.purpose}, "
            f"{entry.size / 1e6:.0f} MB). Looked in: {places}. Fetch it with "
            f"'portrait-stylize weights fetch {entry.name}', or pass a copy you already have "
            f"with {entry.flag} PATH (download it from {entry.url}). For development only, "
            "--allow-random-weights uses seeded random weights instead.")


def resolve(name: str, override: Path | str | None = None,
            allow_random: bool = False) -> Path | None:
    """The checkpoint file to load for ``name``.

    An explicit ``override`` must exist (it is the user's own file, not checked against the
    registry's hash). Otherwise the cached download is used. ``None`` means "use seeded random
    weights" and is only returned with ``allow_random``, with a :class:`RandomWeightsWarning`.
    Raises :class:`MissingWeights` with an actionable message.
    """
    if override is not None:
        path = Path(override).expanduser()
        if not path.is_file():
            raise MissingWeights(f"{spec(name).flag} {path}: no such file")
        return path
    path = cached_path(name)
    if path.is_file():
        return path
    if allow_random:
        warnings.warn(f"USING SEEDED RANDOM WEIGHTS FOR {name.upper()}: development only, the "
                      "results are not real style transfer", RandomWeightsWarning, stacklevel=2)
        return None
    raise MissingWeights(missing_message(name, [path]))
