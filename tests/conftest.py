"""Fixtures shared by several test folders."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch

from tests.editor_backend import Backend, start_backend, stop_backend
from tests.shared.messages import free_endpoint


@pytest.fixture(scope="module")
def one_torch_thread() -> Iterator[None]:
    """Run a module's torch work on one thread: tiny convolutions gain nothing from a second
    one, and on a busy 2-core machine OpenMP's waiting threads made them 2-4 times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    """One real backend (seeded random weights) for the editors' end-to-end tests (GIMP and
    Krita share it when they run in one session)."""
    server = start_backend(free_endpoint(), tmp_path_factory.mktemp("backend") / "server.log")
    yield server
    stop_backend(server.endpoint, server.process)
