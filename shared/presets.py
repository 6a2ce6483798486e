"""Schedule presets: named sets of schedule options that reach a result in fewer iterations.

A preset sets each of its options that the request leaves at the option's default; an option
set to any other value wins over the preset (docs/engine.md, Presets). ``none`` sets nothing:
Crowson's schedule, unchanged. Every other preset also prefers speed to bit-exactness: with
``precision`` left at ``auto`` it runs VGG-19 in bf16 where the device has bf16 hardware (a
CUDA GPU, a CPU with AMX; the decision is backend.models.precision.autocast_dtype's). The
values were chosen and measured with bench/presets.py (bench/RESULTS.md, "Presets").
Pure Python.
"""

from __future__ import annotations

from typing import Any

from shared.options import Options, option_specs

# Keyed by the preset option's choices (shared.options.PRESET_CHOICES), in that order.
PRESETS: dict[str, dict[str, Any]] = {
    "none": {},
    "draft": {"min_scale": 181, "initial_iterations": 180, "iterations": 55, "step_size": 0.03,
              "avg_decay": 0.9},
    "balanced": {"initial_iterations": 300, "iterations": 200},
    "final": {"initial_iterations": 300},
}

_DEFAULTS = {spec.name: spec.default for spec in option_specs()}


def with_preset(options: Options) -> Options:
    """``options`` with its preset's values put into the options it leaves at their defaults;
    the preset's name is kept, so applying it again changes nothing."""
    changes = {name: value for name, value in PRESETS[options.preset].items()
               if getattr(options, name) == _DEFAULTS[name]}
    return options.replace(**changes) if changes else options


def prefers_speed(preset: str) -> bool:
    """Whether ``preset`` (a name of :data:`PRESETS`) lets ``precision auto`` choose bf16 on
    a device with bf16 hardware: every preset but ``none``, whose result stays the
    reference's bit for bit (docs/engine.md, Precision)."""
    return preset != "none"
