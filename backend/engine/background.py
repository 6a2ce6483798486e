"""Background removal before stylizing (the paper's §5), with a portrait matte.

``flat`` composites the subject over a flat colour and stylizes that; ``restore`` then puts the
original background back behind the stylized subject; ``alpha`` returns the matte as the
output's alpha. Compositing everywhere: ``out = matte·image + (1 − matte)·colour``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from backend.engine.images import SourceImage
from shared.options import Options

if TYPE_CHECKING:
    from backend.models.bundle import ModelBundle


def composite(image: np.ndarray, matte: np.ndarray, background: np.ndarray) -> np.ndarray:
    """``matte·image + (1 − matte)·background``: ``image`` ``(H, W, 3)`` in [0, 1], ``matte``
    ``(H, W)`` in [0, 1], ``background`` ``(H, W, 3)`` or an RGB triple in [0, 1]."""
    alpha = matte[..., None]
    return (alpha * image + (1 - alpha) * background).astype(np.float32)


def resize_matte(matte: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``matte`` ``(H, W)`` resized bilinearly to ``size = (w, h)``, in [0, 1]."""
    if matte.shape[::-1] == tuple(size):
        return matte
    resized = Image.fromarray(matte.astype(np.float32), "F").resize(size, Image.BILINEAR)
    return np.clip(np.asarray(resized, dtype=np.float32), 0, 1)


def _rgb(source: SourceImage) -> np.ndarray:
    return source.tensor()[0].permute(1, 2, 0).numpy()


@dataclass
class BackgroundPlan:
    """What to stylize (``content``) and how to finish the result (``mode``: an
    ``Options.background`` choice). ``original`` and ``matte`` (``(H, W)`` in [0, 1], full
    content resolution) are None when the background is kept."""

    mode: str
    content: SourceImage
    original: SourceImage | None = None
    matte: np.ndarray | None = None

    def finish(self, rgb: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
        """The output pixels from the stylized ``rgb`` ``(h, w, 3)`` and the content's alpha
        ``(h, w)`` or None: ``(h, w, 3)`` or ``(h, w, 4)`` float32 in [0, 1]."""
        h, w = rgb.shape[:2]
        if self.mode == "restore":
            original = self.original.tensor((w, h))[0].permute(1, 2, 0).numpy()
            rgb = composite(rgb, resize_matte(self.matte, (w, h)), original)
        elif self.mode == "alpha":
            matte = resize_matte(self.matte, (w, h))
            alpha = matte if alpha is None else alpha * matte
        if alpha is None:
            return rgb
        return np.concatenate([rgb, alpha[..., None]], axis=2).astype(np.float32)


def plan_background(content: SourceImage, options: Options,
                    models: ModelBundle) -> BackgroundPlan:
    """Segment ``content`` when ``options.background`` asks for it and replace its background
    with ``options.background_colour``; the content stays 8-bit when it was."""
    if options.background == "keep":
        return BackgroundPlan("keep", content)
    rgb = _rgb(content)
    matte = models.segmenter().matte(rgb)
    colour = np.asarray(options.background_colour, dtype=np.float32) / 255
    flat = composite(rgb, matte, colour)
    if content.rgb8 is not None:
        eight_bit = Image.fromarray(np.round(flat * 255).astype(np.uint8), "RGB")
        flattened = SourceImage(rgb8=eight_bit, rgb_float=None, alpha=content.alpha)
    else:
        flattened = SourceImage(rgb8=None, rgb_float=flat, alpha=content.alpha)
    return BackgroundPlan(options.background, flattened, content, matte)
