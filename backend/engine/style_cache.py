"""Gram targets of style images seen before, kept between jobs (bounded in memory).

A server stylizes many images with the same few styles; each style's Gram matrices at each scale
cost a VGG-19 forward pass on the style image. The cache keys them by the style's pixels (a
SHA-256 of its bytes), the size it is resized to at that scale (which follows from the scale,
``style_scale_fac`` and ``style_size``), the VGG pooling and the precision of the forward
(fp32 jobs never see bf16 Grams). One cache belongs with one
:class:`~backend.models.bundle.ModelBundle` (the weights are part of what the Grams mean).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
import torch

from backend.engine.images import SourceImage

DEFAULT_MAX_BYTES = 256 * 2**20

GramTargets = dict[str, torch.Tensor]


def style_digest(style: SourceImage) -> str:
    """A SHA-256 naming the style's pixels (8-bit or float) and their shape."""
    digest = hashlib.sha256()
    if style.rgb8 is not None:
        digest.update(f"u8:{style.rgb8.size}:".encode())
        digest.update(style.rgb8.tobytes())
    else:
        pixels = np.ascontiguousarray(style.rgb_float, dtype=np.float32)
        digest.update(f"f32:{pixels.shape}:".encode())
        digest.update(pixels.tobytes())
    return digest.hexdigest()


class StyleTargetCache:
    """Least-recently-used Gram targets, at most ``max_bytes`` of them, held on the CPU.

    Thread-safe. ``hits`` and ``misses`` count lookups since creation.
    """

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.nbytes = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[tuple, GramTargets] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def entries(self) -> int:
        """How many style-and-size Gram sets are kept. (Not ``__len__``: an empty cache must
        not be falsy where callers test ``if cache``.)"""
        return len(self._entries)

    def grams(self, digest: str, size: tuple[int, int], pooling: str,
              compute: Callable[[], GramTargets], device: torch.device,
              tile_size: int = 0, precision: torch.dtype | None = None) -> GramTargets:
        """The Gram targets (layer -> ``(1, C, C)``) of the style named by ``digest``
        (:func:`style_digest`) resized to ``size = (w, h)`` under ``pooling``, computed in
        tiles of ``tile_size`` (0: whole) with VGG-19 under autocast to ``precision`` (None:
        fp32): cached ones moved to ``device``, else ``compute()``'s, which are then kept."""
        key = (digest, tuple(size), pooling, tile_size, precision)
        with self._lock:
            cached = self._entries.get(key)
            if cached is not None:
                self._entries.move_to_end(key)
                self.hits += 1
        if cached is not None:
            return {layer: gram.to(device) for layer, gram in cached.items()}
        targets = compute()
        self._store(key, {layer: gram.detach().to("cpu", copy=True)
                          for layer, gram in targets.items()})
        return targets

    def _store(self, key: tuple, targets: GramTargets) -> None:
        size = sum(gram.numel() * gram.element_size() for gram in targets.values())
        with self._lock:
            self.misses += 1
            if size > self.max_bytes or key in self._entries:
                return
            self._entries[key] = targets
            self.nbytes += size
            while self.nbytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self.nbytes -= sum(g.numel() * g.element_size() for g in evicted.values())
