"""Session fixtures for the GIMP end-to-end tests: one GIMP root, one profile with the plug-in
installed, one real backend (seeded random VGG-19/FaceNet weights), and the test photos."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.editor_backend import Backend
from tests.gimp.gimp_root import gimp_root
from tests.gimp.harness import GimpHarness, VirtualDisplay
from tests.photos import plugin_test_images, png_bytes


@pytest.fixture(scope="session")
def root() -> Path:
    return gimp_root()


@pytest.fixture(scope="module")
def display(root: Path) -> Iterator[VirtualDisplay]:
    """A virtual X display (1366×768) for tests that open the plug-in's dialog."""
    screen = VirtualDisplay(root)
    yield screen
    screen.close()


@pytest.fixture(scope="session")
def gimp(root: Path, backend: Backend) -> Iterator[GimpHarness]:
    harness = GimpHarness(root, backend.endpoint)
    harness.install()
    yield harness
    harness.remove()


@dataclass(frozen=True)
class Photos:
    """Paths (as GIMP sees them) of the test images in the profile."""

    portrait: str  # RGBA: a real portrait with a transparent corner
    style: str
    second_style: str


@pytest.fixture(scope="session")
def photos(gimp: GimpHarness) -> Photos:
    portrait, style, second = plugin_test_images()
    return Photos(gimp.put("portrait.png", png_bytes(portrait)),
                  gimp.put("style.png", png_bytes(style)),
                  gimp.put("second.png", png_bytes(second)))
