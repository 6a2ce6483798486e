"""The peak-memory model against a measured peak, and the sizes it is applied to.

The peak is measured in a fresh process from the kernel's high-water mark of resident memory
(reset through /proc/self/clear_refs), above the resident size once the models are loaded."""

import json
import subprocess
import sys

import pytest

from backend.engine.images import ImageInputError
from backend.engine.memory import (
    HEADROOM,
    available_bytes,
    estimate_peak_bytes,
    largest_end_scale_that_fits,
)
from backend.engine.sizes import check_sizes
from shared.options import Options
from tests.server.conftest import ROOT, child_env

TOLERANCE = 0.25  # measured within ±25 % of the estimate (allocator rounding, threads)

MEASURE = """
import gc, json, sys
import numpy as np, torch
from backend.engine import stylize
from backend.engine.memory import return_cpu_memory
from backend.models.bundle import ModelBundle
from backend.weights import WeightsConfig
from shared.options import Options

def resident(field):
    return next(int(line.split()[1]) * 1024 for line in open("/proc/self/status")
                if line.startswith(field))

torch.set_num_threads(1)
options = Options.from_dict(json.loads(sys.argv[1]))
width, height = json.loads(sys.argv[2])
models = ModelBundle("cpu", WeightsConfig(allow_random=True))
rng = np.random.default_rng(0)
content = (rng.random((height, width, 3)) * 255).astype(np.uint8)
style = (rng.random((64, 64, 3)) * 255).astype(np.uint8)
warm = options.replace(end_scale=64, min_scale=64)
stylize(content, [style], options=warm, models=models)  # loads every model this job uses
return_cpu_memory()
base = resident("VmRSS:")
open("/proc/self/clear_refs", "w").write("5")  # the high-water mark starts again here
stylize(content, [style], options=options, models=models)
print(resident("VmHWM:") - base)
"""


def measured_peak(options: Options, content_size: tuple[int, int]) -> int:
    done = subprocess.run([sys.executable, "-c", MEASURE, json.dumps(options.to_dict()),
                           json.dumps(content_size)], capture_output=True, text=True,
                          cwd=ROOT, env={**child_env(), "OMP_NUM_THREADS": "1"}, timeout=600,
                          check=True)
    return int(done.stdout.split()[-1])


ONE_STEP = {"initial_iterations": 1, "iterations": 1}


@pytest.mark.parametrize(("options", "content_size"), [
    (Options(min_scale=256, end_scale=256, face_weight=0, mesh_weight=0, **ONE_STEP),
     (256, 192)),
    (Options(min_scale=128, end_scale=128, face_weight=0, mesh_weight=0, **ONE_STEP,
             face_boxes=tuple((2.0 + i, 2.0, 60.0 + i, 60.0) for i in range(32))), (128, 96)),
], ids=["vgg-256px", "fidelity-32-boxes"])
def test_the_estimate_is_within_tolerance_of_the_measured_peak(options, content_size):
    estimate = estimate_peak_bytes(options, content_size, [(64, 64)])
    peak = measured_peak(options, content_size)
    assert abs(peak - estimate) <= TOLERANCE * estimate, (peak, estimate)


def test_the_estimate_grows_with_the_pixels_of_the_final_scale():
    small, large = (estimate_peak_bytes(Options(end_scale=side, face_weight=0, mesh_weight=0),
                                        (400, 300), [(64, 64)]) for side in (512, 1024))
    assert 3.5 < large / small < 4.0


def test_the_largest_fitting_end_scale_fits_and_one_more_pixel_does_not():
    options = Options(end_scale=4096)
    budget = 2 * 10**9
    fits = largest_end_scale_that_fits(options, (400, 300), [(64, 64)], budget)
    assert HEADROOM * estimate_peak_bytes(options.replace(end_scale=fits), (400, 300),
                                          [(64, 64)]) <= budget
    assert HEADROOM * estimate_peak_bytes(options.replace(end_scale=fits + 1), (400, 300),
                                          [(64, 64)]) > budget


def test_the_cpu_reports_some_available_memory():
    assert available_bytes("cpu") > 0


@pytest.mark.parametrize(("content", "style", "expected"), [
    ((1, 4096), (64, 64), "the content is 1x4096"),
    ((400, 300), (1, 1), "style image 1 is 1x1"),
])
def test_images_too_small_for_vgg_are_refused_by_size_alone(content, style, expected):
    with pytest.raises(ImageInputError, match=expected):
        check_sizes(content, [style], Options())
