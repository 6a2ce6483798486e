"""Session fixtures for the Krita end-to-end tests: Krita itself, one scratch Krita profile with
the plug-in installed (reaching the session's real backend, tests/conftest.py), and the test
photos."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.editor_backend import Backend
from tests.krita.harness import KritaHarness, ensure_krita
from tests.photos import plugin_test_images, png_bytes


@pytest.fixture(scope="session")
def krita(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> KritaHarness:
    ensure_krita()
    harness = KritaHarness(tmp_path_factory.mktemp("krita-home"), backend.endpoint)
    harness.install()
    return harness


@dataclass(frozen=True)
class Photos:
    """Paths of the test images: a 64-px RGBA portrait with a transparent and a half-transparent
    corner, and two styles."""

    portrait: str
    style: str
    second_style: str
    size: tuple[int, int]


@pytest.fixture(scope="session")
def photos(krita: KritaHarness) -> Photos:
    portrait, style, second = plugin_test_images()
    return Photos(krita.put("portrait.png", png_bytes(portrait)),
                  krita.put("style.png", png_bytes(style)),
                  krita.put("second.png", png_bytes(second)), portrait.size)
