"""The result's size as a user sees it: the choices an editor offers, and what a client says
when a result was computed smaller than the picture it fills.

The engine paints at ``end_scale`` (the long side, in pixels; 0: the content's own size) and
an editor then fits the result to the layer. A dialog offers that size in words
(:data:`SIZE_CHOICES`: "Layer size (600×400)", "512 px — fast", "1024 px", "2048 px", or
"Other", the number beside it), each choice one ``end_scale``; the default suits the
backend's device (:func:`default_end_scale`). A result smaller than the layer is scaled up, never
silently: :func:`upscale_notice` is the words the result layer's name carries. Pure Python.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.job_time import duration_text, rough_seconds
from shared.options import Options
from shared.schedule import scale_plan


@dataclass(frozen=True)
class SizeChoice:
    """One entry of a dialog's result-size list: an identifier (``nick``), its words and the
    ``end_scale`` it stands for (None: the number set under Advanced)."""

    nick: str
    label: str
    end_scale: int | None


LAYER_SIZE = SizeChoice("layer", "Layer size", 0)
OTHER_SIZE = SizeChoice("other", "Other (number below)", None)
SIZE_CHOICES = (LAYER_SIZE, SizeChoice("px512", "512 px — fast", 512),
                SizeChoice("px1024", "1024 px", 1024), SizeChoice("px2048", "2048 px", 2048),
                OTHER_SIZE)
CPU_END_SCALE = Options().end_scale  # 512 px: the fast choice on a CPU


def is_gpu(device: str | None) -> bool:
    """Whether the backend's ``device`` (as its health reply names it: ``cpu``, ``cuda:0``,
    ``mps``; None: unknown) is an accelerator."""
    return device is not None and device != "cpu"


def default_end_scale(device: str | None) -> int:
    """The result size a dialog starts from before the user has chosen one: the layer's own
    size (0) on a GPU, :data:`CPU_END_SCALE` on a CPU or an unknown device."""
    return 0 if is_gpu(device) else CPU_END_SCALE


def choice_for(end_scale: int) -> SizeChoice:
    """The entry that stands for ``end_scale`` (:data:`OTHER_SIZE` for any other number)."""
    return next((choice for choice in SIZE_CHOICES if choice.end_scale == end_scale),
                OTHER_SIZE)


def choice_label(choice: SizeChoice, content_size: tuple[int, int] | None,
                 selection: bool = False) -> str:
    """The words of ``choice`` for a content of ``content_size`` ``(w, h)``: the layer entry
    names its size, e.g. ``Layer size (600×400)`` (``Selection size`` when only a selection's
    bounding box is stylized)."""
    if choice != LAYER_SIZE or content_size is None:
        return choice.label
    what = "Selection size" if selection else LAYER_SIZE.label
    return f"{what} ({content_size[0]}×{content_size[1]})"


def computed_size(options: Options, content_size: tuple[int, int]) -> tuple[int, int]:
    """``(w, h)`` of the result the engine paints for a content of ``content_size``: the last
    scale of its ladder (:func:`shared.schedule.scale_plan`)."""
    last = scale_plan(options, content_size)[-1]
    return last.width, last.height


def _factor_text(factor: float) -> str:
    return f"{factor:.1f}".removesuffix(".0")


def upscale_notice(computed: tuple[int, int], target: tuple[int, int]) -> str:
    """What an editor says when it fills ``target`` ``(w, h)`` with a result computed at
    ``computed``: ``computed at 512 px, scaled up ×1.2`` (the computed long side, and the
    factor of the long sides to one decimal); "" when the result is not smaller."""
    if max(computed) >= max(target):
        return ""
    return (f"computed at {max(computed)} px, scaled up "
            f"×{_factor_text(max(target) / max(computed))}")


def _rough(options: Options, content_size: tuple[int, int], device: str | None) -> str | None:
    faces = options.face_weight > 0 or options.mesh_weight > 0
    seconds = None if device is None else rough_seconds(scale_plan(options, content_size),
                                                        device, faces)
    return None if seconds is None else duration_text(seconds)


def size_note(options: Options, content_size: tuple[int, int], device: str | None) -> str:
    """A dialog's line under the result size, for a content of ``content_size`` ``(w, h)``
    on the backend's ``device`` (None: unknown): whether the result is scaled up to the layer,
    and on a CPU roughly how long this size and the layer's own size take, e.g. ``Computed at
    512 px, scaled up ×7.8. This size: about 3 min on this CPU; layer size: about 2.5 h.``"""
    notice = upscale_notice(computed_size(options, content_size), content_size)
    parts = [notice[:1].upper() + notice[1:] + "."] if notice else []
    here = _rough(options, content_size, device)
    if here is not None:
        whole = _rough(options.replace(end_scale=0), content_size, device)
        if options.end_scale == 0:
            parts.append(f"{here[:1].upper()}{here[1:]} on this CPU (rough).")
        else:
            parts.append(f"This size: {here} on this CPU; layer size: {whole} (rough).")
    return " ".join(parts)
