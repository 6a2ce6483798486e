"""The server under hostile and heavy use (issue 14), on loopback with seeded random weights.

1. A hostile set of small requests against a server in a memory cgroup capped at 2.5 GB:
   whether it lives (no OOM kill), what each request got, and its peak resident memory.
2. From a client's kill to the next job's start, with the dead client's job at 512, 1024 and
   1536 px (one scale, killed a few seconds into its work).
3. Idle resident memory before and after one 1536-px job.
4. Two clients' latency for a small job while a third keeps the queue full.

Run ``python bench/hostile.py`` as root (for the cgroup; without it part 1 runs uncapped and
says so). Results: a section of bench/RESULTS.md and bench/results/hostile.json.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.server.images import array_to_image_data  # noqa: E402
from bench.report import append_section, write_json  # noqa: E402
from shared.client import BackendError, BackendUnavailable, Client  # noqa: E402
from tests.shared.messages import free_endpoint  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CGROUP = Path("/sys/fs/cgroup/memory/portrait-hostile-bench")
CAP_BYTES = int(2.5 * 2**30)
QUICK = {"initial_iterations": 1, "iterations": 1, "face_weight": 0.0, "mesh_weight": 0.0}
TINY = {**QUICK, "min_scale": 32, "end_scale": 32}
SMALL = {**QUICK, "min_scale": 64, "end_scale": 64, "initial_iterations": 3}
KILL_AFTER_S = 4.0
TERMS = {"exact": "face weights 0", "faces": "default face weights (banded)"}

ORPHAN = """
import sys, numpy as np
from backend.server.images import array_to_image_data
from shared.client import Client
endpoint, side, faces = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "faces"
rng = np.random.default_rng(0)
content = array_to_image_data((rng.random((side * 3 // 4, side, 3)) * 255).astype(np.uint8))
job = Client(endpoint).submit(content, [content], options={
    "min_scale": side, "end_scale": side, "initial_iterations": 100, "iterations": 1,
    **({} if faces else {"face_weight": 0.0, "mesh_weight": 0.0})})
for event in job.events():
    if event.kind == "started":
        print("started", flush=True)
"""


def image(width: int, height: int, seed: int = 0):
    import numpy as np
    rng = np.random.default_rng(seed)
    return array_to_image_data((rng.random((height, width, 3)) * 255).astype(np.uint8))


def status(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} for process {pid}")


def load_average() -> float:
    return os.getloadavg()[0]


class Server:
    def __init__(self, *args: str, cgroup: Path | None = None) -> None:
        self.endpoint = free_endpoint()

        def enter_cgroup() -> None:
            if cgroup is not None:
                (cgroup / "cgroup.procs").write_text(str(os.getpid()))

        self.process = subprocess.Popen(
            [sys.executable, "-m", "backend", "serve", "--endpoint", self.endpoint, "--device",
             "cpu", "--allow-random-weights", *args], cwd=ROOT, preexec_fn=enter_cgroup,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with Client(self.endpoint, timeout=1.0) as client:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                try:
                    if not client.health()["loading"]:
                        return
                except BackendUnavailable:
                    pass
        raise RuntimeError("the server did not start")

    def client(self, **kwargs) -> Client:
        return Client(self.endpoint, **kwargs)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)


def make_cgroup() -> Path | None:
    try:
        CGROUP.mkdir(exist_ok=True)
        (CGROUP / "memory.limit_in_bytes").write_text(str(CAP_BYTES))
        return CGROUP
    except OSError as err:
        print(f"no memory cgroup ({err}); the hostile set runs uncapped")
        return None


def hostile_requests() -> list[tuple[str, dict, tuple]]:
    """(name, submit keywords, (content size, style size))."""
    boxes = [[1, 1, 30, 30]]
    return [
        ("256 identical face boxes, 32 px", {"options": {**TINY, "face_weight": 0.25,
                                                         "face_boxes": boxes * 256}},
         ((32, 32), (32, 32))),
        ("32 face boxes, 32 px", {"options": {**TINY, "face_weight": 0.25,
                                              "face_boxes": boxes * 32}}, ((32, 32), (32, 32))),
        ("end_scale 1024 from 32 px", {"options": {**QUICK, "end_scale": 1024}},
         ((32, 32), (32, 32))),
        ("end_scale 8192 from 32 px", {"options": {**QUICK, "end_scale": 8192}},
         ((32, 32), (32, 32))),
        ("style_size 2048, 2048-px style", {"options": {**TINY, "style_size": 2048}},
         ((32, 32), (2048, 2048))),
        ("preview every iteration", {"options": {**TINY, "initial_iterations": 50},
                                     "preview_interval": 1}, ((32, 32), (32, 32))),
        ("1x4096 content", {"options": TINY}, ((1, 4096), (32, 32))),
        ("1x1 style", {"options": TINY}, ((32, 32), (1, 1))),
        ("style weights 1e308, 1e308", {"options": TINY, "style_weights": [1e308, 1e308]},
         ((32, 32), (32, 32))),
    ]


def run_hostile_set() -> dict:
    cgroup = make_cgroup()
    server = Server("--max-pixels", str(4096 * 4096), cgroup=cgroup)
    outcomes = []
    try:
        with server.client(timeout=60.0) as client:
            for name, fields, (content_size, style_size) in hostile_requests():
                styles = [image(*style_size, seed=1)]
                if "style_weights" in fields:
                    styles *= 2
                try:
                    job = client.submit(image(*content_size), styles, **fields)
                    job.result()
                    outcome = "done"
                except BackendError as err:
                    outcome = f"{err.code}: {err.message}"
                outcomes.append({"request": name, "outcome": outcome})
                print(name, "->", outcome[:140], flush=True)
        alive = server.process.poll() is None
        peak = status(server.process.pid, "VmHWM:")
    finally:
        server.stop()
    oom_kills = None
    if cgroup is not None:
        control = (cgroup / "memory.oom_control").read_text()
        oom_kills = int(control.split("oom_kill ")[1].split()[0]) if "oom_kill " in control \
            else None
        cgroup.rmdir()
    return {"capped_bytes": CAP_BYTES if cgroup else None, "alive": alive,
            "peak_rss_bytes": peak, "oom_kills": oom_kills, "outcomes": outcomes}


def kill_to_next_start(server: Server, side: int, terms: str) -> dict:
    """``terms``: "exact" (Crowson's method, face weights 0) or "faces" (the default face
    weights, whose large convolutions run in bands)."""
    orphan = subprocess.Popen([sys.executable, "-c", ORPHAN, server.endpoint, str(side), terms],
                              stdout=subprocess.PIPE, text=True, cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    with server.client(timeout=60.0) as client:
        assert orphan.stdout.readline().strip() == "started"
        waiting = client.submit(image(32, 32), [image(32, 32, 1)], options=TINY)
        time.sleep(KILL_AFTER_S)  # into the orphan's set-up or first iteration
        orphan.kill()
        killed = time.monotonic()
        next(event for event in waiting.events() if event.kind == "started")
        elapsed = time.monotonic() - killed
        waiting.result()
    orphan.wait()
    return {"side": side, "terms": terms, "kill_to_next_start_s": round(elapsed, 2),
            "load_average": round(load_average(), 2)}


def idle_rss_around_a_large_job(server: Server, side: int) -> dict:
    with server.client(timeout=600.0) as client:
        client.submit(image(32, 32), [image(32, 32, 1)], options=TINY).result()
        before = status(server.process.pid, "VmRSS:")
        started = time.monotonic()
        client.submit(image(side, side * 3 // 4), [image(256, 256, 1)],
                      options={**QUICK, "min_scale": side, "end_scale": side}).result()
        seconds = time.monotonic() - started
        # The worker hands memory back after it reports the result: read after the next job.
        client.submit(image(32, 32), [image(32, 32, 1)], options=TINY).result()
        after = status(server.process.pid, "VmRSS:")
    return {"side": side, "idle_rss_before_bytes": before, "idle_rss_after_bytes": after,
            "peak_rss_bytes": status(server.process.pid, "VmHWM:"),
            "job_s": round(seconds, 1), "load_average": round(load_average(), 2)}


def latency_under_flood(server: Server, rounds: int = 3) -> dict:
    stop = threading.Event()

    def flood() -> None:
        with server.client(timeout=60.0) as flooder:
            jobs = []
            while not stop.is_set():
                try:
                    jobs.append(flooder.submit(image(64, 48), [image(64, 64, 1)], options=SMALL))
                except BackendError:  # the per-client limit: wait for one to end
                    jobs.pop(0).result()

    thread = threading.Thread(target=flood)
    latencies: dict[str, list[float]] = {"quiet": [], "flooded": []}
    with server.client(timeout=120.0) as first, server.client(timeout=120.0) as second:
        for phase in ("quiet", "flooded"):
            if phase == "flooded":
                thread.start()
                while server.client().health()["queue_length"] < 10:
                    pass
            for _ in range(rounds):
                for client in (first, second):
                    started = time.monotonic()
                    client.submit(image(64, 48), [image(64, 64, 1)], options=SMALL).result()
                    latencies[phase].append(time.monotonic() - started)
    stop.set()
    thread.join()
    return {phase: round(statistics.median(values), 2) for phase, values in latencies.items()} \
        | {"load_average": round(load_average(), 2)}


PARTS = ("hostile", "kill", "idle_rss", "flood")


def main() -> None:
    """``python bench/hostile.py [PART ...]`` runs the named parts (default all); the others
    keep their figures from bench/results/hostile.json."""
    parts = sys.argv[1:] or list(PARTS)
    if unknown := set(parts) - set(PARTS):
        sys.exit(f"unknown part {', '.join(sorted(unknown))}; parts are {', '.join(PARTS)}")
    stored = ROOT / "bench" / "results" / "hostile.json"
    results = json.loads(stored.read_text()) if stored.exists() else {}
    results.pop("machine", None)
    if "hostile" in parts:
        results["hostile"] = run_hostile_set()
    server = Server()
    try:
        if "kill" in parts:
            results["kill"] = [kill_to_next_start(server, side, terms)
                               for terms in ("exact", "faces") for side in (512, 1024, 1536)]
        if "idle_rss" in parts:
            results["idle_rss"] = idle_rss_around_a_large_job(server, 1536)
        if "flood" in parts:
            results["flood"] = latency_under_flood(server)
    finally:
        server.stop()
    write_json("hostile", results)
    report(results)


def report(results: dict) -> None:
    hostile, rss, flood = results["hostile"], results["idle_rss"], results["flood"]
    gb = 1e9
    table = ["| measure | value |", "|---|---|",
             f"| hostile set ({len(hostile['outcomes'])} requests), memory cap | "
             f"{(hostile['capped_bytes'] or 0) / gb:.2f} GB |",
             f"| server alive after it / OOM kills | {hostile['alive']} / "
             f"{hostile['oom_kills']} |",
             f"| server peak RSS across it | {hostile['peak_rss_bytes'] / gb:.2f} GB |"]
    table += [f"| client kill → next job's start, {kill['side']} px, "
              f"{TERMS[kill.get('terms', 'exact')]} (load {kill['load_average']}) | "
              f"{kill['kill_to_next_start_s']:.2f} s |" for kill in results["kill"]]
    peak = rss["peak_rss_bytes"] / gb
    table += [f"| idle RSS before / after a {rss['side']}-px job (peak {peak:.2f} GB, load "
              f"{rss['load_average']}) | {rss['idle_rss_before_bytes'] / gb:.2f} / "
              f"{rss['idle_rss_after_bytes'] / gb:.2f} GB |",
              f"| 64-px job latency, median of two clients: quiet / while a third floods "
              f"(load {flood['load_average']}) | {flood['quiet']:.2f} / {flood['flooded']:.2f} s |"]
    table += ["", "| hostile request | outcome |", "|---|---|"]
    table += [f"| {o['request']} | {o['outcome'][:160]} |" for o in hostile["outcomes"]]
    append_section("Server under hostile use (issue 14)",
                   "CPU, seeded random weights, loopback; kill runs: one scale, the client "
                   f"killed {KILL_AFTER_S:g} s after its job started; flood: the third client "
                   "keeps its 16 allowed jobs waiting", table)


if __name__ == "__main__":
    main()
