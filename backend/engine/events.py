"""What the engine reports while it works and what it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from PIL import Image


class EngineError(Exception):
    """A job could not be done; the message says why and what to change."""


class Cancelled(EngineError):
    """The caller asked the job to stop."""


class OutOfMemory(EngineError):
    """The device ran out of memory; the message suggests a size that fits."""


def is_out_of_memory(err: BaseException) -> bool:
    """Whether ``err`` says the device or the host ran out of memory: a ``MemoryError``,
    ``torch.OutOfMemoryError``, or the plain ``RuntimeError`` by which the CPU allocator (and
    some other back ends) report exhaustion, recognised by its message."""
    if isinstance(err, MemoryError | torch.OutOfMemoryError):
        return True
    text = str(err)
    return isinstance(err, RuntimeError) and ("can't allocate memory" in text
                                              or "out of memory" in text.lower())


@dataclass
class ProgressEvent:
    """One optimisation step.

    ``scale_index`` counts from 0 over ``n_scales``; ``iteration`` from 1 to ``iterations`` within
    the scale; ``losses`` maps term names (content, style, tv, face, mesh, total) to floats;
    ``preview`` is a small RGB image of the current average when one was requested.
    """

    scale_index: int
    n_scales: int
    width: int
    height: int
    iteration: int
    iterations: int
    losses: dict[str, float]
    preview: Image.Image | None = None

    @property
    def fraction_done(self) -> float:
        """Progress over the whole job in [0, 1], counting iterations."""
        return (self.scale_index + self.iteration / self.iterations) / self.n_scales


@dataclass
class Result:
    """A finished stylization.

    ``pixels`` is ``(H, W, C)`` float32 in [0, 1], C = 3 (RGB) or 4 (RGBA when the content had
    alpha or the background became alpha). ``metadata`` is JSON-ready: options, timings, device,
    which weights were real, faces and the face-fidelity report.
    """

    pixels: np.ndarray
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_array(self, bits: int = 8) -> np.ndarray:
        """Pixels as uint8 (bits=8) or uint16 (bits=16), rounded."""
        if bits not in (8, 16):
            raise ValueError(f"bits must be 8 or 16, not {bits}")
        top = 255 if bits == 8 else 65535
        dtype = np.uint8 if bits == 8 else np.uint16
        return np.round(np.clip(self.pixels, 0, 1) * top).astype(dtype)

    def to_pil(self) -> Image.Image:
        """An 8-bit RGB or RGBA PIL image."""
        mode = "RGBA" if self.pixels.shape[2] == 4 else "RGB"
        return Image.fromarray(self.to_array(8), mode)
