"""The loss-term interface: what the stylization loop sums (docs/engine.md, Loss terms).

Modelled on Crowson's composable losses (``ContentLoss``, ``StyleLoss``, ``TVLoss`` summed by
``SumLoss``): each part of the objective is a :class:`LossTerm`, made once per job. At every scale
the loop asks each term to :meth:`~LossTerm.prepare` its targets from the content at that scale
(without gradients); at every iteration it computes the VGG-19 features of the iterate once, at
the union of the terms' ``vgg_layers``, asks each term for its named :meth:`~LossTerm.losses`,
and minimises their sum. A term also declares the models it needs (:meth:`~LossTerm.needs`), so
the model bundle's preload follows from the list of terms (``backend/engine/objective.py``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar

import torch

from backend.engine.background import BackgroundPlan
from backend.engine.images import SourceImage
from backend.engine.style_cache import StyleTargetCache
from backend.engine.tiles import Tile, TilePass, stitched_features
from backend.models.vgg import VGGFeatures
from shared.options import Options

if TYPE_CHECKING:
    from backend.models.bundle import ModelBundle, ModelNeed

Features = dict[str, torch.Tensor]
"""VGG-19 activations of one image by layer name (``"relu4_2"``), plus ``"input"``: the image,
``(1, 3, H, W)`` in [0, 1]. The form Crowson's loss modules read."""

Targets = TypeVar("Targets")
"""What a term prepares at each scale and reads at each iteration (activations, Grams, …)."""


@dataclass
class Job:
    """One stylization's prepared inputs. ``weights``: the style weights, normalised by the sum
    of their absolute values; ``scales``: the ladder's long sides in px, smallest first;
    ``style_digests``: each style's key in ``style_cache`` (both None without a cache)."""

    content: SourceImage
    styles: list[SourceImage]
    weights: list[float]
    options: Options
    scales: list[int]
    background: BackgroundPlan
    style_cache: StyleTargetCache | None
    style_digests: list[str] | None


@dataclass
class ScaleInputs:
    """What a term may build its targets from at one scale.

    ``scale``: the long side of this scale in px; ``content``: the content resized to that
    scale, ``(1, 3, H, W)`` in [0, 1] on the job's device; ``vgg``: the job's VGG-19 (with the
    pooling of the options); ``tiles``: the still grid of a tiled scale (None when untiled),
    over which :meth:`features` computes.
    """

    scale: int
    content: torch.Tensor
    vgg: VGGFeatures
    tiles: list[Tile] | None = None

    def features(self, image: torch.Tensor, layers: Sequence[str]) -> Features:
        """VGG-19 features of ``image`` ``(1, 3, H, W)`` at ``layers``: of the whole image, or
        at a tiled scale window by window (:func:`~backend.engine.tiles.stitched_features`), so
        memory follows the tile."""
        if self.tiles is None:
            return self.vgg(image, layers=layers)
        return stitched_features(self.vgg, image, layers, self.tiles)

    @property
    def device(self) -> torch.device:
        return self.content.device


class LossTerm(ABC, Generic[Targets]):
    """One part of the objective.

    ``names``: the keys its :meth:`losses` returns (they appear in the progress events, inside
    ``total``); ``vgg_layers``: the VGG-19 layers its :meth:`losses` read from the features.
    """

    names: ClassVar[tuple[str, ...]]
    vgg_layers: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def wanted(cls, options: Options) -> bool:
        """Whether a job with ``options`` has this term (default: always)."""
        return True

    @classmethod
    @abstractmethod
    def needs(cls, options: Options) -> list[ModelNeed]:
        """The models a job with ``options`` needs for this term."""

    @classmethod
    @abstractmethod
    def for_job(cls, job: Job, models: ModelBundle) -> LossTerm:
        """The term for ``job``, its models taken from ``models``."""

    @abstractmethod
    def prepare(self, inputs: ScaleInputs) -> Targets | None:
        """The term's targets at one scale (called without gradients), or None when the term
        is off at that scale (e.g. no face found)."""

    @abstractmethod
    def losses(self, features: Features, targets: Targets) -> dict[str, torch.Tensor]:
        """The weighted losses of the iterate, each a scalar tensor, by name (``names``);
        ``features``: the iterate's VGG-19 features at (at least) ``vgg_layers``, with
        ``"input"`` the iterate itself; ``targets``: what :meth:`prepare` returned."""

    def tile_losses(self, features: Features, targets: Targets,
                    part: TilePass) -> dict[str, torch.Tensor]:
        """This term's share of a tiled step from one tile (docs/large-images.md, Tiles), by name:
        ``features`` are those of the tile's window. Over the tiles of a grid, the shares'
        values add up to the term's value and their gradients to the step's gradient. Only
        terms with ``vgg_layers`` are asked (the others are computed on the whole image); one
        without a tiled form raises NotImplementedError."""
        raise NotImplementedError(f"{type(self).__name__} reads VGG-19 features but has no "
                                  "tiled form")


Prepared = list[tuple[LossTerm, object]]
"""The terms of a job at one scale, each with what its :meth:`LossTerm.prepare` returned (terms
off at that scale left out)."""
