"""Speed and accuracy of the torch FaceMesh port on CPU.

Build time cold (flatbuffer read and converted, cache written) against cached; milliseconds per
forward and per forward+backward at batch 1 and 4, on one thread and on all of torch's threads;
the largest landmark difference from MediaPipe's reference interpreter (ai-edge-litert) on the
astronaut's face. Run ``python bench/facemesh.py``.

Times are the best of several runs: on a shared machine the best run is the one least disturbed
by other processes (the medians go to the JSON file too). The load average is recorded beside.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from ai_edge_litert.interpreter import Interpreter
from facenet_pytorch import MTCNN
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.models.facemesh import facemesh_tflite_path, load_facemesh  # noqa: E402
from bench.report import append_section, write_json  # noqa: E402
from tests.photos import photo  # noqa: E402

BUILDS = 5
WARMUP, REPEATS = 3, 20
BUSY_NOTE = (" (other jobs were running: trust the 1-thread rows; two threads contending with "
             "them are slower than one)")


def elapsed_ms(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return 1000 * (time.perf_counter() - start)


def timings_ms(action: Callable[[], object]) -> dict[str, float]:
    """Best and median ms of ``REPEATS`` runs after ``WARMUP`` untimed ones."""
    for _ in range(WARMUP):
        action()
    times = [elapsed_ms(action) for _ in range(REPEATS)]
    return {"best_ms": min(times), "median_ms": statistics.median(times)}


def astronaut_face() -> torch.Tensor:
    """The astronaut's MTCNN box widened 1.5x, as (1, 3, 192, 192) in [0, 1]."""
    image = photo("astronaut")
    boxes, _ = MTCNN(device="cpu").detect(image)
    x0, y0, x1, y1 = np.asarray(boxes, float)[0]
    side = 1.5 * max(x1 - x0, y1 - y0)
    left, top = (x0 + x1 - side) / 2, (y0 + y1 - side) / 2
    crop = image.crop((round(left), round(top), round(left + side), round(top + side)))
    pixels = np.asarray(crop.resize((192, 192), Image.BILINEAR), np.float32) / 255
    return torch.from_numpy(pixels).permute(2, 0, 1)[None]


def build_times() -> tuple[float, float]:
    """Best ms of a cold load (empty cache folder) and of a cached one."""
    cold, cached = [], []
    for _ in range(BUILDS):
        with tempfile.TemporaryDirectory() as cache:
            cold.append(elapsed_ms(lambda c=cache: load_facemesh("cpu", Path(c))))
            cached.append(elapsed_ms(lambda c=cache: load_facemesh("cpu", Path(c))))
    return min(cold), min(cached)


def reference_landmarks(face: torch.Tensor) -> tuple[np.ndarray, float]:
    """Landmarks (468, 3) from ai-edge-litert, and its ms per forward."""
    interpreter = Interpreter(model_path=str(facemesh_tflite_path()))
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"],
                           face.permute(0, 2, 3, 1).numpy())
    ms = timings_ms(interpreter.invoke)["best_ms"]
    output = next(o for o in interpreter.get_output_details() if o["shape"][-1] == 1404)
    return interpreter.get_tensor(output["index"]).reshape(468, 3), ms


def speed_row(run: dict) -> str:
    threads = f"{run['threads']} thread" + ("s" if run["threads"] > 1 else "")
    return (f"| batch {run['batch']}, {threads}: forward / forward+backward | "
            f"{run['forward']['best_ms']:.1f} ms / {run['forward_backward']['best_ms']:.1f} ms |")


def main() -> None:
    with tempfile.TemporaryDirectory() as cache:
        load_facemesh("cpu", Path(cache))  # imports and first-call set-up off the clock
    cold_ms, cached_ms = build_times()
    with tempfile.TemporaryDirectory() as cache:
        facemesh = load_facemesh("cpu", Path(cache))
    face = astronaut_face()
    expected, reference_ms = reference_landmarks(face)
    with torch.no_grad():
        difference = float(np.abs(facemesh(face).landmarks[0].numpy() - expected).max())

    rows = []
    for threads in sorted({1, torch.get_num_threads()}):
        torch.set_num_threads(threads)
        for batch in (1, 4):
            faces = face.repeat(batch, 1, 1, 1)

            def forward(faces: torch.Tensor = faces) -> None:
                with torch.no_grad():
                    facemesh(faces)

            def forward_backward(faces: torch.Tensor = faces) -> None:
                pixels = faces.clone().requires_grad_(True)
                facemesh(pixels).landmarks.square().sum().backward()

            rows.append({"threads": threads, "batch": batch, "forward": timings_ms(forward),
                         "forward_backward": timings_ms(forward_backward)})

    load = os.getloadavg()[0]
    write_json("facemesh", {"build_cold_ms": cold_ms, "build_cached_ms": cached_ms,
                            "reference_forward_ms": reference_ms,
                            "max_landmark_difference_px": difference, "load_average": load,
                            "runs": rows})
    table = ["| measure | value |", "|---|---|",
             f"| build, cold (read .tflite, convert, write cache) | {cold_ms:.0f} ms |",
             f"| build, cached | {cached_ms:.0f} ms |",
             *(speed_row(row) for row in rows),
             f"| ai-edge-litert interpreter (XNNPACK), batch 1 forward | {reference_ms:.1f} ms |",
             f"| max landmark difference from the interpreter (astronaut) | "
             f"{difference:.1e} px |"]
    append_section("FaceMesh port",
                   f"Best of {REPEATS} runs after {WARMUP} warm-ups ({BUILDS} for builds), "
                   f"load average {load:.1f} during the run{BUSY_NOTE if load > 1.5 else ''}; "
                   "backward of the sum of squared landmarks to the (N, 3, 192, 192) input", table)


if __name__ == "__main__":
    main()
