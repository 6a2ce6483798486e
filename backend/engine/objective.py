"""The objective: which loss terms a job has, the models and VGG-19 layers they need.

A new term is a :class:`~backend.engine.terms.LossTerm` subclass added to :data:`TERMS`; the
loop, the preload and the size check follow from this list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from backend.engine.faces import FaceGuide
from backend.engine.losses import ContentLoss, StyleLoss, TVLoss
from backend.engine.terms import Job, LossTerm
from backend.models.bundle import ModelNeed
from backend.models.vgg import in_network_order
from shared.options import Options

if TYPE_CHECKING:
    from backend.models.bundle import ModelBundle

TERMS: tuple[type[LossTerm], ...] = (ContentLoss, StyleLoss, TVLoss, FaceGuide)
"""Every loss term, in the order they are computed and summed (the reference's order first)."""


def _wanted(options: Options) -> list[type[LossTerm]]:
    return [term for term in TERMS if term.wanted(options)]


def model_needs(options: Options) -> list[ModelNeed]:
    """The models a job with ``options`` needs, each once, for ``ModelBundle.preload``."""
    needs = [need for term in _wanted(options) for need in term.needs(options)]
    return list(dict.fromkeys(needs))


def vgg_layers(options: Options) -> list[str]:
    """The VGG-19 layers the terms of a job with ``options`` read, shallowest first."""
    return in_network_order([layer for term in _wanted(options) for layer in term.vgg_layers])


def loss_terms(job: Job, models: ModelBundle) -> list[LossTerm]:
    """The terms of ``job``, their models loaded from ``models``."""
    return [term.for_job(job, models) for term in _wanted(job.options)]
