"""Session fixtures for the Krita end-to-end tests: Krita itself, one real backend (seeded random
weights), one scratch Krita profile with the plug-in installed, and the test photos."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from PIL import Image

from tests.gimp.harness import Backend, free_endpoint, start_backend, stop_backend
from tests.krita.harness import KritaHarness, ensure_krita
from tests.photos import photo


@pytest.fixture(scope="session")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    server = start_backend(free_endpoint(), tmp_path_factory.mktemp("backend") / "server.log")
    yield server
    stop_backend(server.endpoint, server.process)


@pytest.fixture(scope="session")
def krita(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> KritaHarness:
    ensure_krita()
    harness = KritaHarness(tmp_path_factory.mktemp("krita-home"), backend.endpoint)
    harness.install()
    return harness


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


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
    return Photos(krita.put("portrait.png", _png(portrait)), krita.put("style.png", _png(style)),
                  krita.put("second.png", _png(second)), portrait.size)
