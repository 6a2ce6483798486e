"""Model weights: the registry of downloadable checkpoints, downloads and verification."""

from dataclasses import dataclass
from pathlib import Path

from backend.weights.registry import (
    REGISTRY,
    ChecksumMismatch,
    MissingWeights,
    RandomWeightsWarning,
    WeightsError,
    WeightsSpec,
    cache_dir,
    resolve,
)


@dataclass(frozen=True)
class WeightsConfig:
    """Where the backend takes its two downloadable checkpoints from.

    ``vgg`` / ``facenet``: a user's own file (overrides the cache). ``allow_random``: seeded
    random weights when a file is missing (development and tests only; loudly labelled).
    """

    vgg: Path | None = None
    facenet: Path | None = None
    allow_random: bool = False


__all__ = ["REGISTRY", "ChecksumMismatch", "MissingWeights", "RandomWeightsWarning",
           "WeightsConfig", "WeightsError", "WeightsSpec", "cache_dir", "resolve"]
