"""The check that every image of a job can work, from sizes alone.

Pure arithmetic on ``(w, h)`` sizes, so the server can refuse an impossible job when it is
submitted, with the same one-line error the engine would raise later.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from backend.engine.images import ImageInputError
from backend.engine.losses import style_size
from backend.engine.objective import vgg_layers
from backend.engine.schedule import job_scales, size_to_fit
from backend.models.vgg import VGGFeatures
from shared.options import PIXELS, Options


def check_sizes(content_size: tuple[int, int], style_sizes: Sequence[tuple[int, int]],
                options: Options) -> None:
    """Raise :class:`ImageInputError` (one line: the image, the size it would have, the fix)
    when an image VGG-19 will see is below its minimum side at the first scale. Sizes are
    ``(w, h)`` in pixels. Also raised when ``end_scale`` 0 (the content's own size) asks
    for a long side above the option's limit (:data:`shared.options.PIXELS`), naming the
    end_scale that fits."""
    if options.end_scale == 0 and max(content_size) > PIXELS.maximum:
        raise ImageInputError(
            f"the content is {content_size[0]}x{content_size[1]}: its own size "
            f"({max(content_size)} px long side) is above the {PIXELS.maximum}-px limit of "
            f"end_scale; use end_scale {PIXELS.maximum} (--end-scale {PIXELS.maximum}) or "
            "scale the image down")
    least = VGGFeatures.min_size(vgg_layers(options))
    first = job_scales(options, content_size)[0]
    w, h = size_to_fit(content_size, first, scale_up=True)
    if min(w, h) < least:
        raise ImageInputError(
            f"the content is {content_size[0]}x{content_size[1]}: at the first scale "
            f"({first} px) its short side would be {min(w, h)} px, below the {least} px "
            f"VGG-19 needs; {_thin_content_fix(content_size, least)}")
    for number, style in enumerate(style_sizes, 1):
        w, h = style_size(style, first, options)
        if min(w, h) < least:
            raise ImageInputError(
                f"style image {number} is {style[0]}x{style[1]}: at the first scale "
                f"it would be {w}x{h}, but VGG-19 needs at least {least} px on each side; use "
                "a larger style image or raise style_scale_fac / style_size")


def _thin_content_fix(content_size: tuple[int, int], least: int) -> str:
    """What makes a too-thin content work: a first scale whose short side reaches ``least``
    pixels, when the option's range has one; otherwise only cropping."""
    long_side, short_side = max(content_size), min(content_size)
    needed = math.ceil(least * long_side / short_side)
    if needed <= PIXELS.maximum:
        return f"raise min_scale (--min-scale) to at least {needed} px, or crop the image"
    return (f"crop the image to at most {PIXELS.maximum // least}:1 (no first scale up to "
            f"{PIXELS.maximum} px gives it a {least}-px short side)")
