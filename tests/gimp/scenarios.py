"""What the GIMP end-to-end tests share: tiny engine settings and reading pixel dumps."""

from __future__ import annotations

from pathlib import Path

import numpy as np

DIALOG = "plug-in-portrait-stylization"
SELECTED = "plug-in-portrait-stylization-selected"

# Seconds per job on two cores: one scale, a few iterations; the output long side equals the
# 64-pixel test portrait's, so every difference from the content is the engine's work.
TINY = {"min_scale": 64, "end_scale": 64, "iterations": 1, "initial_iterations": 3,
        "min_face_size": 8, "preview_interval": 0}


def arguments_text(values: dict) -> str:
    """``values`` as keyword arguments for ``run_procedure`` in scenario code."""
    return ", ".join(f"{key}={value!r}" for key, value in values.items())


def pixels(out_dir: Path, name: str, size: list[int], channels: int = 4,
           dtype: str = "u8") -> np.ndarray:
    """A pixel dump written by the scenario's ``dump``: ``(H, W, channels)``."""
    width, height = size
    data = np.fromfile(out_dir / f"{name}.raw", dtype={"u8": np.uint8, "u16": np.uint16,
                                                       "f16": np.float16,
                                                       "f32": np.float32}[dtype])
    return data.reshape(height, width, channels)


# Helpers for scenarios that build the plug-in's dialog and look at it (prepend to the code).
DIALOG_PROBE = Path(__file__).with_name("dialog_probe.py")
RESULT = "Portrait — stylized (Starry Night)"  # the result layer of the usual test images
