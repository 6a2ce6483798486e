"""Session fixtures for the GIMP end-to-end tests: one GIMP root, one profile with the plug-in
installed, one real backend (seeded random VGG-19/FaceNet weights), and the test photos."""

from __future__ import annotations

import contextlib
import io
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from shared.client import BackendUnavailable, Client
from tests.gimp.gimp_root import gimp_root
from tests.gimp.harness import REPO, GimpHarness
from tests.photos import photo

BACKEND_START_S = 180


def free_endpoint() -> str:
    """A loopback endpoint on a port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{probe.getsockname()[1]}"


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
    with Client(endpoint, timeout=5.0) as client, contextlib.suppress(BackendUnavailable):
        client.shutdown()  # already gone is fine
    if process is not None:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def root() -> Path:
    return gimp_root()


@pytest.fixture(scope="session")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    server = start_backend(free_endpoint(), tmp_path_factory.mktemp("backend") / "server.log")
    yield server
    stop_backend(server.endpoint, server.process)


@pytest.fixture(scope="session")
def gimp(root: Path, backend: Backend) -> Iterator[GimpHarness]:
    harness = GimpHarness(root, backend.endpoint)
    harness.install()
    yield harness
    harness.remove()


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass(frozen=True)
class Photos:
    """Paths (as GIMP sees them) of the test images in the profile."""

    portrait: str  # RGBA: a real portrait with a transparent corner
    style: str
    second_style: str


@pytest.fixture(scope="session")
def photos(gimp: GimpHarness) -> Photos:
    portrait = photo("portrait_a").convert("RGBA")
    portrait.thumbnail((64, 64))
    alpha = Image.new("L", portrait.size, 255)
    alpha.paste(0, (0, 0, portrait.width // 4, portrait.height // 4))
    alpha.paste(128, (portrait.width // 4, 0, portrait.width // 2, portrait.height // 4))
    portrait.putalpha(alpha)
    style = photo("starry_night")
    style.thumbnail((64, 64))
    second = photo("brick")
    second.thumbnail((48, 48))
    return Photos(gimp.put("portrait.png", _png(portrait)), gimp.put("style.png", _png(style)),
                  gimp.put("second.png", _png(second)))
