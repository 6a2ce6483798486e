"""The engine beside a busy process: ms/iteration by thread setting, quiet and busy.

    python bench/threads.py [--size 256] [--iterations 5] [--rounds 2]

Each run is a fresh process (so OpenMP starts with its own settings) timing the engine, style
only, on the astronaut against Starry Night at one scale, seeded random VGG-19. Runs: one
thread, every usable core, and ``auto`` (``backend/threads.py``) on the machine as it is
("quiet"); then ``auto`` and every core while this script keeps one other CPU-bound process
running ("busy"; it starts a second before the run and is stopped after). The order is reversed
every other round; times are the means over the rounds. Printed: busy ``auto`` ÷ quiet one
thread (goal ≤ 1.1: with a core taken, one thread is what is left) and quiet ``auto`` ÷ quiet
every core (goal ≈ 1: a quiet machine keeps its speed), with the load average before and after
each run. On a machine that other people's work keeps loaded, "quiet" is not quiet: the load
average says how far.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RUNS = (("quiet", "1"), ("quiet", "all"), ("quiet", "auto"), ("busy", "auto"), ("busy", "all"))
BUSY_LEAD_S = 1.0  # the busy process runs this long before a run starts, so auto can see it


def child(threads: str, size: int, iterations: int) -> None:
    """Time one run in this process and print its JSON line."""
    import warnings

    from backend.models.bundle import ModelBundle
    from backend.threads import ThreadPolicy, usable_cpus
    from backend.weights import WeightsConfig
    from bench.speed import measure

    warnings.simplefilter("ignore")
    policy = ThreadPolicy(usable_cpus() if threads == "all" else threads)
    models = ModelBundle("cpu", WeightsConfig(allow_random=True), policy)
    row = measure(models, size, iterations, faces=False)
    print(json.dumps({"ms": row["ms_per_iteration"], "threads": policy.describe()}))


def run_once(machine: str, threads: str, args: argparse.Namespace) -> tuple[float, str, tuple]:
    busy = None
    if machine == "busy":
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        time.sleep(BUSY_LEAD_S)  # let it start burning a core: this is the load being tested
    try:
        before = os.getloadavg()[0]
        done = subprocess.run([sys.executable, __file__, "--child", threads, "--size",
                               str(args.size), "--iterations", str(args.iterations)],
                              capture_output=True, text=True, check=True, cwd=ROOT)
        after = os.getloadavg()[0]
    finally:
        if busy is not None:
            busy.kill()
            busy.wait()
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["ms"], result["threads"], (before, after)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", metavar="THREADS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.size, args.iterations)
        return
    times: dict[tuple[str, str], list[float]] = {run: [] for run in RUNS}
    chosen: dict[tuple[str, str], str] = {}
    loads: list[float] = []
    for round_index in range(args.rounds):
        for run in RUNS if round_index % 2 == 0 else RUNS[::-1]:
            ms, threads, load = run_once(*run, args)
            times[run].append(ms)
            chosen[run] = threads
            loads += load
            print(f"round {round_index + 1}: {run[0]:<5} threads {run[1]:<4} {ms:8.1f} "
                  f"ms/iteration ({threads}; load average {load[0]:.1f} -> {load[1]:.1f})",
                  flush=True)
    report(times, chosen, loads, args)


def report(times: dict, chosen: dict, loads: list[float], args: argparse.Namespace) -> None:
    from bench.report import append_section, write_json

    mean = {run: statistics.mean(values) for run, values in times.items()}
    busy_ratio = mean[("busy", "auto")] / mean[("quiet", "1")]
    quiet_ratio = mean[("quiet", "auto")] / mean[("quiet", "all")]
    load = f"{min(loads):.1f}-{max(loads):.1f} (mean {statistics.mean(loads):.1f})"
    write_json("threads", {"size": args.size, "iterations": args.iterations,
                           "rounds": args.rounds, "load_average": load,
                           "runs": [{"machine": m, "threads": t, "chosen": chosen[(m, t)],
                                     "ms": [round(v, 1) for v in times[(m, t)]]}
                                    for m, t in RUNS],
                           "busy_auto_over_quiet_1": round(busy_ratio, 3),
                           "quiet_auto_over_quiet_all": round(quiet_ratio, 3)})
    table = ["| machine | --threads | threads used (last run) | ms / iteration |",
             "|---|---|---|---|"]
    table += [f"| {m} | {t} | {chosen[(m, t)]} | {mean[(m, t)]:.1f} |" for m, t in RUNS]
    table += ["", "| ratio | value | goal |", "|---|---|---|",
              f"| busy auto ÷ quiet 1 thread | {busy_ratio:.2f} | ≤ 1.1 |",
              f"| quiet auto ÷ quiet every core | {quiet_ratio:.2f} | ≈ 1 |",
              f"| busy every core ÷ quiet 1 thread (without auto) | "
              f"{mean[('busy', 'all')] / mean[('quiet', '1')]:.2f} | |"]
    settings = (f"`python bench/threads.py`: engine style only, astronaut vs Starry Night at "
                f"{args.size} px, seeded random VGG-19, {args.iterations} timed iterations "
                f"after 3 warm-up, each run a fresh process, {args.rounds} rounds (means); "
                f"busy = one other `while True: pass` process; load average {load} during "
                "the run (other processes' load makes 'quiet' less quiet)")
    append_section("Threads on a busy machine (CPU)", settings, table)
    print(f"busy auto / quiet 1 thread = {busy_ratio:.2f}; quiet auto / quiet every core = "
          f"{quiet_ratio:.2f}; load average {load}")


if __name__ == "__main__":
    main()
