"""Real server processes on free loopback ports, and small real images to send them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from backend.server.images import array_to_image_data
from shared.client import BackendUnavailable, Client, ImageData
from tests.photos import photo
from tests.shared.messages import TEST_LIMITS, free_endpoint

ROOT = Path(__file__).resolve().parents[2]
# One scale of 32 px and one iteration: every kind of event, cheap on two cores.
TINY = {"min_scale": 32, "end_scale": 32, "initial_iterations": 1, "iterations": 1,
        "face_weight": 0.0, "mesh_weight": 0.0}
# A job that runs until it is cancelled.
ENDLESS = {**TINY, "initial_iterations": 100_000}
START_TIMEOUT_S = 120


class ServerProcess:
    """``python -m backend serve`` on CPU with seeded random weights, its output in a log."""

    def __init__(self, log_dir: Path, *args: str, endpoint: str | None = None,
                 preexec_fn=None, random_weights: bool = True,
                 env: dict[str, str] | None = None) -> None:
        self.endpoint = endpoint or free_endpoint()
        self.log_path = log_dir / f"server-{self.endpoint.rsplit(':', 1)[1]}.log"
        self.command = [sys.executable, "-m", "backend", "serve", "--endpoint", self.endpoint,
                        "--device", "cpu", *(["--allow-random-weights"] * random_weights),
                        *args]
        # One torch thread: tiny jobs gain nothing from more, and the machine is shared.
        env = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, cwd=ROOT, env=env,
                                            preexec_fn=preexec_fn)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def client(self, **kwargs) -> Client:
        return Client(self.endpoint, **kwargs)

    def wait_healthy(self, **client_args) -> dict:
        """Poll health (each try waits up to a second on the socket) until it answers."""
        deadline = time.monotonic() + START_TIMEOUT_S
        with self.client(timeout=1.0, **client_args) as client:
            while True:
                try:
                    return client.health()
                except BackendUnavailable:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError(f"server did not start:\n{self.log()}") from None

    def wait_ready(self) -> dict:
        """Ask for health until the models are loaded (each answer comes at once)."""
        with self.client() as client:
            while (health := client.health())["loading"]:
                assert self.process.poll() is None, f"server died:\n{self.log()}"
        return health

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="session")
def server_logs(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("server-logs")


@pytest.fixture(scope="session")
def server(server_logs):
    """One shared server with small limits (see tests.shared.messages.TEST_LIMITS)."""
    process = ServerProcess(server_logs, "--max-pixels", str(TEST_LIMITS["max_pixels"]),
                            "--max-message-mb", str(TEST_LIMITS["max_message_bytes"] / 2**20))
    process.wait_healthy()
    yield process
    process.stop()


@pytest.fixture
def start_server(server_logs):
    """Start dedicated servers for a test; each is stopped at its end."""
    started = []

    def start(*args: str, **kwargs) -> ServerProcess:
        process = ServerProcess(server_logs, *args, **kwargs)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def client(server):
    with server.client(timeout=10.0) as connected:
        yield connected


def photo_image(name: str, width: int, height: int, channels: int = 3,
                dtype: str = "u8") -> ImageData:
    """A real photo resized to ``width``x``height``, as gray, gray+alpha, RGB or RGBA in the
    given sample type (alpha is a left-to-right ramp, so it is easy to check)."""
    rgb = np.asarray(photo(name).resize((width, height)), dtype=np.float32) / 255
    planes = {1: rgb.mean(axis=2, keepdims=True), 2: rgb.mean(axis=2, keepdims=True),
              3: rgb, 4: rgb}[channels]
    if channels in (2, 4):
        ramp = np.broadcast_to(np.linspace(0, 1, width, dtype=np.float32), (height, width))
        planes = np.dstack([planes, ramp])
    if dtype == "u8":
        return array_to_image_data(np.round(planes * 255).astype(np.uint8))
    if dtype == "u16":
        return array_to_image_data(np.round(planes * 65535).astype(np.uint16))
    return array_to_image_data(planes.astype(np.float32))


@pytest.fixture(scope="session")
def content() -> ImageData:
    return photo_image("astronaut", 32, 24)


@pytest.fixture(scope="session")
def style() -> ImageData:
    return photo_image("brick", 32, 32)


def child_env() -> dict[str, str]:
    """The environment for helper processes (tests/ importable from the project root)."""
    return {**os.environ, "PYTHONPATH": str(ROOT)}
