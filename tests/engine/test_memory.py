"""The peak-memory model against a measured peak, and the sizes it is applied to.

The peak is measured in a fresh process from the kernel's high-water mark of resident memory
(reset through /proc/self/clear_refs), above the resident size once the models are loaded."""

import json
import subprocess
import sys

import pytest

from backend.engine.events import OutOfMemory
from backend.engine.images import ImageInputError
from backend.engine.memory import (
    CPU_MEMORY_BUDGET,
    CPU_SMALLEST_AUTO_TILE,
    CPU_TILE_SIZE,
    HEADROOM,
    auto_tile_size,
    available_bytes,
    default_tile_size,
    estimate_peak_bytes,
    largest_end_scale_that_fits,
    plan_tile_size,
    set_memory_limit,
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
    (Options(min_scale=512, end_scale=512, face_weight=0, mesh_weight=0, tile_size=192,
             **ONE_STEP), (512, 384)),
], ids=["vgg-256px", "fidelity-32-boxes", "tiled-512px-in-192px-tiles"])
def test_the_estimate_is_within_tolerance_of_the_measured_peak(options, content_size):
    estimate = estimate_peak_bytes(options, content_size, [(64, 64)])
    peak = measured_peak(options, content_size)
    assert abs(peak - estimate) <= TOLERANCE * estimate, (peak, estimate)


def test_untiled_the_estimate_grows_with_the_pixels_of_the_final_scale():
    small, large = (estimate_peak_bytes(Options(end_scale=side, face_weight=0, mesh_weight=0,
                                                tile_size=0), (400, 300), [(64, 64)])
                    for side in (512, 1024))
    assert 3.5 < large / small < 4.0


def test_the_largest_fitting_end_scale_fits_and_one_more_pixel_does_not():
    options = Options(end_scale=4096, tile_size=0)
    budget = 2 * 10**9
    fits = largest_end_scale_that_fits(options, (400, 300), [(64, 64)], budget)
    assert HEADROOM * estimate_peak_bytes(options.replace(end_scale=fits), (400, 300),
                                          [(64, 64)]) <= budget
    assert HEADROOM * estimate_peak_bytes(options.replace(end_scale=fits + 1), (400, 300),
                                          [(64, 64)]) > budget


FULL_SIZE = Options(end_scale=0, face_weight=0, mesh_weight=0)
PHOTO, STYLES = (2048, 1536), [(800, 600)]


def test_tiled_the_estimate_grows_far_slower_with_the_image_than_untiled():
    tiled = [estimate_peak_bytes(FULL_SIZE.replace(tile_size=512), size, STYLES)
             for size in ((1024, 768), (4096, 3072))]
    untiled = [estimate_peak_bytes(FULL_SIZE.replace(tile_size=0), size, STYLES)
               for size in ((1024, 768), (4096, 3072))]
    assert untiled[1] / untiled[0] > 15
    assert tiled[1] / tiled[0] < 4


def test_the_largest_automatic_tile_is_512_px_on_a_cpu_and_untiled_on_cuda():
    assert default_tile_size("cpu") == CPU_TILE_SIZE == 512
    assert default_tile_size("cuda") == 0
    assert auto_tile_size(FULL_SIZE, (4096, 3072), STYLES, "cuda") == 0


SIDES = (512, 1024, 2048, 4096)


@pytest.mark.parametrize(("budget", "tiles"), [(CPU_MEMORY_BUDGET, [512, 448, 256, 256]),
                                               (1.5, [512, 496, 336, 256]),
                                               (2.0, [512, 512, 464, 256])])
def test_the_automatic_cpu_tile_is_the_largest_within_the_budget_of_a_512_px_run(budget, tiles):
    sizes = [(side, side * 3 // 4) for side in SIDES]
    chosen = [auto_tile_size(FULL_SIZE, size, STYLES, "cpu", budget) for size in sizes]
    assert chosen == tiles
    for size, tile in zip(sizes, chosen, strict=True):
        most = budget * estimate_peak_bytes(FULL_SIZE.replace(end_scale=512, tile_size=0), size,
                                            STYLES)
        need, larger = (estimate_peak_bytes(FULL_SIZE.replace(tile_size=t), size, STYLES)
                        for t in (tile, tile + 16))
        assert tile % 16 == 0 and CPU_SMALLEST_AUTO_TILE <= tile <= CPU_TILE_SIZE
        assert need <= most or tile == CPU_SMALLEST_AUTO_TILE, (size, need / most)
        assert larger > most or tile == CPU_TILE_SIZE, size


def test_at_4096_px_the_smallest_automatic_tile_runs_over_budget_while_memory_allows():
    size = (4096, 3072)
    need = estimate_peak_bytes(FULL_SIZE, size, STYLES)
    assert need == estimate_peak_bytes(FULL_SIZE.replace(tile_size=CPU_SMALLEST_AUTO_TILE),
                                       size, STYLES)
    reference = estimate_peak_bytes(FULL_SIZE.replace(end_scale=512, tile_size=0), size, STYLES)
    assert need > 3 * reference  # the whole-image tensors alone: 200 bytes a pixel
    assert plan_tile_size(FULL_SIZE, size, STYLES, "cpu", None) == CPU_SMALLEST_AUTO_TILE
    assert plan_tile_size(FULL_SIZE, size, STYLES, "cpu", int(HEADROOM * need)) == 256
    smaller = int(HEADROOM * estimate_peak_bytes(FULL_SIZE.replace(tile_size=128), size, STYLES))
    assert 128 <= plan_tile_size(FULL_SIZE, size, STYLES, "cpu", smaller) < 256


def test_an_explicit_tile_size_is_kept_whatever_the_budget_of_a_512_px_run():
    options = FULL_SIZE.replace(tile_size=512)
    assert plan_tile_size(options, (4096, 3072), STYLES, "cpu", None) == 512
    assert estimate_peak_bytes(options, PHOTO, STYLES) > estimate_peak_bytes(FULL_SIZE, PHOTO,
                                                                              STYLES)


def test_a_tile_too_large_for_the_budget_is_made_the_largest_smaller_one_that_fits():
    options = FULL_SIZE.replace(tile_size=2048)
    budget = int(HEADROOM * estimate_peak_bytes(options.replace(tile_size=500), PHOTO, STYLES))
    tile = plan_tile_size(options, PHOTO, STYLES, "cpu", budget)
    assert tile % 16 == 0 and 64 <= tile <= 500
    assert HEADROOM * estimate_peak_bytes(options.replace(tile_size=tile + 16), PHOTO,
                                          STYLES) > budget


def test_on_cuda_a_job_is_tiled_only_when_untiled_it_would_not_fit():
    assert plan_tile_size(FULL_SIZE, PHOTO, STYLES, "cuda", 100 * 10**9) == 0
    assert 0 < plan_tile_size(FULL_SIZE, PHOTO, STYLES, "cuda", 4 * 10**9) < max(PHOTO)


def test_a_job_that_fits_in_no_tile_is_refused_in_one_line_naming_the_end_scale_that_fits():
    with pytest.raises(OutOfMemory) as refused:
        plan_tile_size(FULL_SIZE, (8192, 6144), STYLES, "cpu", 2 * 10**9)
    message = str(refused.value)
    assert "\n" not in message and "even in 64-px tiles" in message
    fits = int(message.split("end_scale ")[-1].split()[0])
    assert HEADROOM * estimate_peak_bytes(FULL_SIZE.replace(end_scale=fits, tile_size=64),
                                          (8192, 6144), STYLES) <= 2 * 10**9


def test_untiled_by_request_a_job_too_large_is_refused_naming_a_tile_size_that_fits():
    with pytest.raises(OutOfMemory, match=r"untiled \(tile_size 0\).*tile_size 512 fits"):
        plan_tile_size(FULL_SIZE.replace(tile_size=0), PHOTO, STYLES, "cpu", 4 * 10**9)


def test_the_cpu_reports_some_available_memory():
    assert available_bytes("cpu") > 0


@pytest.mark.parametrize(("content", "style", "expected"), [
    ((1, 4096), (64, 64), "the content is 1x4096"),
    ((400, 300), (1, 1), "style image 1 is 1x1"),
])
def test_images_too_small_for_vgg_are_refused_by_size_alone(content, style, expected):
    with pytest.raises(ImageInputError, match=expected):
        check_sizes(content, [style], Options())


def test_a_set_memory_limit_replaces_the_systems_report_until_cleared():
    system = available_bytes("cpu")
    try:
        set_memory_limit(2**40)
        planned = available_bytes("cpu")
        assert 2**40 - 64 * 2**30 < planned < 2**40  # the limit less this process's RSS
        set_memory_limit(1)
        assert available_bytes("cpu") == 0  # the RSS already exceeds one byte
    finally:
        set_memory_limit(None)
    assert available_bytes("cpu") != planned and (system is None) == (available_bytes("cpu") is None)
    with pytest.raises(ValueError, match="must be positive"):
        set_memory_limit(0)
