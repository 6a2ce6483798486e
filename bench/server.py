"""What the persistent server saves, and whether it stays lean.

1. Warm overhead of a request: a job's end-to-end latency seen by a client (submit to result)
   minus the time the engine spent in its scale loop (the iterations), against the same for a
   cold ``portrait-stylize stylize`` run of the same job (process start, imports, model load).
2. Throughput of small jobs: one client in sequence, and three clients at once.
3. Resident memory over 200 sequential small jobs: growth after a warm-up must stay under 5 %.

Run ``python bench/server.py`` (CPU, seeded random weights: the weights do not change the
timings). Results: a section of bench/RESULTS.md and bench/results/server.json.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.server.images import image_data_from_source  # noqa: E402
from bench.report import append_section, write_json  # noqa: E402
from shared.client import BackendUnavailable, Client  # noqa: E402
from tests.photos import photo  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ENDPOINT = "tcp://127.0.0.1:5599"
JOB = {"min_scale": 64, "end_scale": 128, "initial_iterations": 10, "iterations": 5,
       "face_weight": 0.0, "mesh_weight": 0.0}  # three scales, 20 iterations
SMALL = {"min_scale": 32, "end_scale": 32, "initial_iterations": 2, "iterations": 1,
         "face_weight": 0.0, "mesh_weight": 0.0}
WARM_RUNS, THROUGHPUT_JOBS, CONCURRENT_CLIENTS, RSS_JOBS, RSS_WARMUP = 5, 20, 3, 200, 20
RSS_GROWTH_LIMIT = 0.05


def loop_seconds(metadata: dict) -> float:
    return sum(metadata["timings"]["scales_s"])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def start_server() -> subprocess.Popen:
    server = subprocess.Popen([sys.executable, "-m", "backend", "serve", "--endpoint", ENDPOINT,
                               "--device", "cpu", "--allow-random-weights"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    with Client(ENDPOINT, timeout=1.0) as client:
        while True:
            try:
                client.health()
                return server
            except BackendUnavailable:
                if server.poll() is not None:
                    raise RuntimeError("the server did not start") from None


def warm_overhead(client: Client, content, style) -> dict:
    runs = []
    for _ in range(WARM_RUNS):
        start = time.perf_counter()
        _, metadata = client.submit(content, [style], options=JOB).result()
        total = time.perf_counter() - start
        runs.append({"latency_s": total, "loop_s": loop_seconds(metadata),
                     "engine_s": metadata["timings"]["total_s"]})
    best = min(runs, key=lambda run: run["latency_s"] - run["loop_s"])
    return {"runs": runs, "overhead_s": best["latency_s"] - best["loop_s"],
            "outside_engine_s": best["latency_s"] - best["engine_s"],
            "median_latency_s": statistics.median(run["latency_s"] for run in runs)}


def cold_cli(folder: Path) -> dict:
    photo("astronaut").save(folder / "content.png")
    photo("brick").save(folder / "style.png")
    flags = [f"--{name.replace('_', '-')}={value}" for name, value in JOB.items()]
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "backend", "stylize", str(folder / "content.png"),
                    str(folder / "style.png"), "-o", str(folder / "out.png"), "-q",
                    "--metadata", str(folder / "meta.json"), "--device", "cpu",
                    "--allow-random-weights", *flags], check=True, cwd=ROOT,
                   stderr=subprocess.DEVNULL)
    total = time.perf_counter() - start
    metadata = json.loads((folder / "meta.json").read_text())
    return {"latency_s": total, "loop_s": loop_seconds(metadata),
            "overhead_s": total - loop_seconds(metadata)}


def throughput(content, style) -> dict:
    with Client(ENDPOINT) as client:
        start = time.perf_counter()
        for _ in range(THROUGHPUT_JOBS):
            client.submit(content, [style], options=SMALL).result()
        sequential = THROUGHPUT_JOBS / (time.perf_counter() - start)

    def one_client() -> None:
        with Client(ENDPOINT, timeout=60) as client:
            jobs = [client.submit(content, [style], options=SMALL)
                    for _ in range(THROUGHPUT_JOBS // CONCURRENT_CLIENTS)]
            for job in jobs:
                job.result()

    threads = [threading.Thread(target=one_client) for _ in range(CONCURRENT_CLIENTS)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done = CONCURRENT_CLIENTS * (THROUGHPUT_JOBS // CONCURRENT_CLIENTS)
    return {"sequential_jobs_per_s": sequential,
            "concurrent_jobs_per_s": done / (time.perf_counter() - start)}


def memory(pid: int, content, styles) -> dict:
    samples = []
    with Client(ENDPOINT) as client:
        for index in range(1, RSS_JOBS + 1):
            job = client.submit(content, [styles[index % len(styles)]], options=SMALL,
                                preview_interval=1)
            job.result()
            if index == RSS_WARMUP or index % 20 == 0:
                samples.append({"jobs": index, "rss_mb": rss_mb(pid)})
    warm = next(s["rss_mb"] for s in samples if s["jobs"] == RSS_WARMUP)
    growth = (samples[-1]["rss_mb"] - warm) / warm
    return {"samples": samples, "growth": growth, "within_limit": growth < RSS_GROWTH_LIMIT}


def main() -> None:
    content = image_data_from_source(photo("astronaut"))
    style = image_data_from_source(photo("brick"))
    small_content = image_data_from_source(photo("astronaut").resize((32, 32)))
    small_styles = [image_data_from_source(photo(name).resize((32, 32)))
                    for name in ("brick", "grass", "gravel")]
    with tempfile.TemporaryDirectory() as folder:
        cold = cold_cli(Path(folder))
    server = start_server()
    try:
        with Client(ENDPOINT, timeout=60) as client:
            pid = client.health()["pid"]
            client.submit(content, [style], options=JOB).result()  # first job: lazy parts
            warm = warm_overhead(client, content, style)
        rates = throughput(small_content, small_styles[0])
        rss = memory(pid, small_content, small_styles)
        with Client(ENDPOINT) as client:
            client.shutdown()
        server.wait(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
    load = os.getloadavg()[0]
    write_json("server", {"job": JOB, "small_job": SMALL, "cold_cli": cold, "warm": warm,
                          "throughput": rates, "rss": rss, "load_average": load})
    first, last = rss["samples"][0], rss["samples"][-1]
    append_section("Server", (
        f"Job: astronaut 512 px with brick, scales 64-128, 20 iterations, style only, seeded "
        f"random VGG-19; small job: 32 px, 2 iterations, previews on. Best of {WARM_RUNS} warm "
        f"runs; load average {load:.1f} during the run (the machine is shared)"), [
        "| measure | value |", "|---|---|",
        f"| cold CLI run: wall time / of which iterations / overhead | {cold['latency_s']:.2f} s"
        f" / {cold['loop_s']:.2f} s / **{cold['overhead_s']:.2f} s** |",
        f"| warm server request: latency / overhead beyond the iterations | "
        f"{warm['runs'][0]['latency_s']:.2f} s / **{warm['overhead_s']:.3f} s** |",
        f"| warm server: time outside the engine (transport, decode, queue, encode) | "
        f"{1000 * warm['outside_engine_s']:.0f} ms |",
        f"| small jobs, one client in sequence | {rates['sequential_jobs_per_s']:.2f} jobs/s |",
        f"| small jobs, {CONCURRENT_CLIENTS} clients at once | "
        f"{rates['concurrent_jobs_per_s']:.2f} jobs/s |",
        f"| RSS after {first['jobs']} / {last['jobs']} small jobs | {first['rss_mb']:.0f} MB / "
        f"{last['rss_mb']:.0f} MB (growth {100 * rss['growth']:+.1f} %, limit 5 %) |"])


if __name__ == "__main__":
    main()
