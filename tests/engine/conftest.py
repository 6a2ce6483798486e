"""Fixtures of the engine tests: one thread, and models with seeded random VGG-19 and FaceNet."""

from __future__ import annotations

import pytest

from backend.models.bundle import ModelBundle
from backend.weights import RandomWeightsWarning, WeightsConfig
from shared.options import Options


@pytest.fixture(scope="module", autouse=True)
def _single_thread(one_torch_thread: None) -> None:
    """Every engine test module runs its small tensors on one thread (see one_torch_thread)."""


@pytest.fixture(scope="module")
def models() -> ModelBundle:
    """A CPU bundle with VGG-19 and FaceNet loaded from seeded random weights."""
    bundle = ModelBundle("cpu", WeightsConfig(allow_random=True))
    with pytest.warns(RandomWeightsWarning):
        bundle.vgg()
        bundle.facenet(Options().face_layers)
    return bundle
