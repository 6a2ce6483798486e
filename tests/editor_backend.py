"""What the GIMP and the Krita end-to-end tests share: a real backend process beside the
editor, the states of a backend the plug-in must cope with (none running, one that cannot be
started), and collecting what one editor run left behind."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.client import BackendUnavailable, Client
from shared.protocol import ENDPOINT_ENV
from tests.shared.messages import free_endpoint

REPO = Path(__file__).resolve().parents[1]
BACKEND_START_S = 180
MISSING_PYTHON = "/opt/removed-venv/bin/python"


@dataclass
class Backend:
    endpoint: str
    process: subprocess.Popen
    log_path: Path

    def client(self, timeout: float = 10.0) -> Client:
        return Client(self.endpoint, timeout=timeout)


def start_backend(endpoint: str, log_path: Path) -> Backend:
    """``python -m backend serve`` on ``endpoint``, waited for until it answers health."""
    log = open(log_path, "wb")  # noqa: SIM115 - the server writes to it for its whole life
    process = subprocess.Popen([sys.executable, "-m", "backend", "serve", "--endpoint", endpoint,
                                "--allow-random-weights"], cwd=REPO, stdout=log,
                               stderr=subprocess.STDOUT)
    log.close()
    deadline = time.monotonic() + BACKEND_START_S
    with Client(endpoint, timeout=2.0) as client:
        while True:
            try:
                client.health()
                return Backend(endpoint, process, log_path)
            except BackendUnavailable:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    raise RuntimeError(f"the backend did not start:\n{log_path.read_text()}"
                                       ) from None


def stop_backend(endpoint: str, process: subprocess.Popen | None = None) -> None:
    """Ask the server at ``endpoint`` to stop and wait for ``process`` to end."""
    with Client(endpoint, timeout=3.0) as client, contextlib.suppress(BackendUnavailable):
        client.shutdown()  # already gone is fine
    if process is not None:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def no_backend_yet() -> Iterator[dict[str, str]]:
    """The editor's environment naming a free endpoint, where the plug-in must start its own
    backend; that backend is stopped afterwards."""
    endpoint = free_endpoint()
    try:
        yield {ENDPOINT_ENV: endpoint}
    finally:
        stop_backend(endpoint)


def backend_pid(endpoint: str) -> int:
    """The process id the backend at ``endpoint`` reports."""
    with Client(endpoint, timeout=5.0) as client:
        return client.health()["pid"]


@contextlib.contextmanager
def backend_python_removed(plugin_dir: Path) -> Iterator[dict[str, str]]:
    """The installed plug-in's record of the backend's interpreter pointed at
    :data:`MISSING_PYTHON` (as if the backend's venv had been deleted), restored afterwards;
    yields the editor's environment naming a free endpoint, so nothing answers there."""
    config_path = plugin_dir / "portrait-stylization.json"
    installed = config_path.read_text()
    config_path.write_text(json.dumps({**json.loads(installed), "python": MISSING_PYTHON}))
    try:
        yield {ENDPOINT_ENV: free_endpoint()}
    finally:
        config_path.write_text(installed)


@dataclass
class EditorRun:
    """What one editor session left behind: its exit status and output, the scenario's report
    and the folder with its pixel dumps."""

    returncode: int
    output: str
    report: dict[str, Any]
    out_dir: Path

    def call(self, key: str) -> dict[str, Any]:
        return self.report["calls"][key]


def collect_run(process: subprocess.Popen, out_dir: Path, editor: str, timeout_s: float,
                output_tail: int | None = None, must_finish: bool = False) -> EditorRun:
    """Wait up to ``timeout_s`` for the editor (started in its own session) to exit, killing
    its process group after that, and read the scenario's ``report.json`` from ``out_dir``.
    Raises RuntimeError with the editor's output (its last ``output_tail`` characters) when
    there is no report, the scenario raised, or (``must_finish``) the report lacks its
    ``finished`` mark."""
    try:
        output, _ = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        raise RuntimeError(f"{editor} did not finish within {timeout_s:g} s:\n"
                           f"{output[-output_tail:] if output_tail else output}") from None
    shown = output[-output_tail:] if output_tail else output
    report_path = out_dir / "report.json"
    if not report_path.exists():
        raise RuntimeError(f"{editor} exited with {process.returncode} and no report:\n{shown}")
    report = json.loads(report_path.read_text())
    if "exception" in report or (must_finish and not report.get("finished")):
        raise RuntimeError(f"the scenario failed inside {editor}:\n{report.get('exception')}\n"
                           f"{editor}'s output:\n{shown}")
    return EditorRun(process.returncode, output, report, out_dir)
