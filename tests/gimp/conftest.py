"""Session fixtures for the GIMP end-to-end tests: one GIMP root, one profile with the plug-in
installed, one real backend (seeded random VGG-19/FaceNet weights), and the test photos."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from tests.gimp.gimp_root import gimp_root
from tests.gimp.harness import Backend, GimpHarness, free_endpoint, start_backend, stop_backend
from tests.photos import photo


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
