"""Resumable, verified downloads, against a real HTTP server on 127.0.0.1 run by the test."""

from __future__ import annotations

import hashlib
import io
import socket
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import torch

from backend.weights import ChecksumMismatch, WeightsError, WeightsSpec
from backend.weights.download import fetch, sha256_of, verify

FILENAME = "vgg-test.pth"


class CheckpointServer:
    """Serves one file over HTTP. ``mode``: ``ranges`` (honours ``Range`` with 206),
    ``ignore-range`` (always 200 and the whole file), ``break`` (announces the whole file,
    sends ``break_after`` bytes, hangs up). ``requests`` records each request's path and
    ``Range`` header."""

    def __init__(self, payload: bytes) -> None:
        self.payload = payload
        self.mode = "ranges"
        self.break_after = len(payload) // 2
        self.requests: list[tuple[str, str | None]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append((self.path, self.headers.get("Range")))
                if self.path != "/" + FILENAME:
                    self.send_error(404)
                    return
                start = 0
                wanted = self.headers.get("Range")
                if wanted and server.mode == "ranges":
                    start = int(wanted.removeprefix("bytes=").removesuffix("-"))
                    self.send_response(206)
                    self.send_header("Content-Range",
                                     f"bytes {start}-{len(server.payload) - 1}/"
                                     f"{len(server.payload)}")
                else:
                    self.send_response(200)
                body = server.payload[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.mode == "break":
                    self.wfile.write(body[: server.break_after])
                    self.close_connection = True
                else:
                    self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/{FILENAME}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture(scope="module")
def payload() -> bytes:
    """A real checkpoint of about 3 MB (several download chunks)."""
    generator = torch.Generator().manual_seed(0)
    state = {"features.0.weight": torch.randn(750, 1000, generator=generator),
             "features.0.bias": torch.randn(750, generator=generator)}
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def running_server(payload: bytes) -> Iterator[CheckpointServer]:
    server = CheckpointServer(payload)
    yield server
    server.close()


@pytest.fixture
def server(running_server: CheckpointServer) -> CheckpointServer:
    """The module's server, reset to honour ranges with an empty request log."""
    running_server.mode = "ranges"
    running_server.break_after = len(running_server.payload) // 2
    running_server.requests.clear()
    return running_server


@pytest.fixture
def entry(payload: bytes, server: CheckpointServer) -> WeightsSpec:
    return WeightsSpec(name="test-vgg", filename=FILENAME, url=server.url, size=len(payload),
                       sha256=hashlib.sha256(payload).hexdigest(), licence="test",
                       flag="--vgg-weights", purpose="tests")


def _partial(destination: Path) -> Path:
    return destination.with_name(destination.name + ".part")


def test_full_download_lands_verified(tmp_path: Path, server: CheckpointServer,
                                      entry: WeightsSpec, payload: bytes) -> None:
    destination = tmp_path / "cache" / FILENAME
    assert fetch(entry, destination, progress=False) == destination
    assert destination.read_bytes() == payload
    assert not _partial(destination).exists()
    assert server.requests == [("/" + FILENAME, None)]
    assert torch.load(destination, weights_only=True)["features.0.bias"].shape == (750,)


def test_partial_download_is_resumed_with_a_range_request(
        tmp_path: Path, server: CheckpointServer, entry: WeightsSpec, payload: bytes) -> None:
    destination = tmp_path / FILENAME
    have = 1_234_567
    _partial(destination).write_bytes(payload[:have])
    fetch(entry, destination, progress=False)
    assert server.requests == [("/" + FILENAME, f"bytes={have}-")]
    assert destination.read_bytes() == payload


def test_server_that_ignores_range_restarts_the_file(
        tmp_path: Path, server: CheckpointServer, entry: WeightsSpec, payload: bytes) -> None:
    server.mode = "ignore-range"
    destination = tmp_path / FILENAME
    _partial(destination).write_bytes(b"stale bytes from another attempt")
    fetch(entry, destination, progress=False)
    assert server.requests[0][1] == "bytes=32-"
    assert destination.read_bytes() == payload


def test_wrong_hash_raises_and_leaves_nothing_behind(tmp_path: Path, entry: WeightsSpec) -> None:
    destination = tmp_path / FILENAME
    wrong = replace(entry, sha256="0" * 64)
    with pytest.raises(ChecksumMismatch, match=f"SHA-256 {entry.sha256}, expected {'0' * 64}"):
        fetch(wrong, destination, progress=False)
    assert not destination.exists()
    assert not _partial(destination).exists()


def test_wrong_size_raises_and_leaves_nothing_behind(tmp_path: Path, entry: WeightsSpec,
                                                     payload: bytes) -> None:
    destination = tmp_path / FILENAME
    bigger = replace(entry, size=len(payload) + 10)
    with pytest.raises(ChecksumMismatch, match=f"{len(payload)} bytes, expected "
                                               f"{len(payload) + 10}"):
        fetch(bigger, destination, progress=False)
    assert not destination.exists() and not _partial(destination).exists()


def test_broken_connection_keeps_the_part_and_the_next_fetch_resumes(
        tmp_path: Path, server: CheckpointServer, entry: WeightsSpec, payload: bytes) -> None:
    destination = tmp_path / FILENAME
    server.mode, server.break_after = "break", 2_500_000
    with pytest.raises(WeightsError, match="broke off.*run the same command again to resume"):
        fetch(entry, destination, progress=False)
    kept = _partial(destination).read_bytes()
    assert 0 < len(kept) <= server.break_after
    assert payload.startswith(kept)
    assert not destination.exists()
    server.mode = "ranges"
    fetch(entry, destination, progress=False)
    assert server.requests[-1][1] == f"bytes={len(kept)}-"
    assert destination.read_bytes() == payload


def test_oversized_part_is_discarded(tmp_path: Path, server: CheckpointServer,
                                     entry: WeightsSpec, payload: bytes) -> None:
    destination = tmp_path / FILENAME
    _partial(destination).write_bytes(payload + b"extra")
    fetch(entry, destination, progress=False)
    assert server.requests == [("/" + FILENAME, None)]
    assert destination.read_bytes() == payload


def test_complete_part_is_verified_without_a_request(tmp_path: Path, server: CheckpointServer,
                                                     entry: WeightsSpec, payload: bytes) -> None:
    destination = tmp_path / FILENAME
    _partial(destination).write_bytes(payload)
    fetch(entry, destination, progress=False)
    assert server.requests == []
    assert destination.read_bytes() == payload


def test_existing_verified_file_is_kept_without_a_request(
        tmp_path: Path, server: CheckpointServer, entry: WeightsSpec, payload: bytes) -> None:
    destination = tmp_path / FILENAME
    destination.write_bytes(payload)
    assert fetch(entry, destination, progress=False) == destination
    assert server.requests == []


def test_existing_damaged_file_is_replaced_by_a_fresh_download(
        tmp_path: Path, server: CheckpointServer, entry: WeightsSpec, payload: bytes) -> None:
    destination = tmp_path / FILENAME
    destination.write_bytes(payload[:-1] + bytes([payload[-1] ^ 1]))
    fetch(entry, destination, progress=False)
    assert server.requests == [("/" + FILENAME, None)]
    assert destination.read_bytes() == payload


def test_two_fetches_at_once_download_once(tmp_path: Path, server: CheckpointServer,
                                           entry: WeightsSpec, payload: bytes) -> None:
    destination = tmp_path / FILENAME
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def fetch_after_barrier() -> None:
        start.wait()
        try:
            outcomes.append(fetch(entry, destination, progress=False))
        except Exception as err:  # reported through the assertion below
            outcomes.append(err)

    threads = [threading.Thread(target=fetch_after_barrier) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == [destination, destination]
    assert len(server.requests) == 1
    assert destination.read_bytes() == payload


def test_missing_file_on_the_server_is_a_weights_error(tmp_path: Path,
                                                       server: CheckpointServer,
                                                       entry: WeightsSpec) -> None:
    url = server.url.replace(FILENAME, "gone.pth")
    with pytest.raises(WeightsError, match=f"could not download test-vgg from {url}: 404"):
        fetch(entry, tmp_path / FILENAME, url=url, progress=False)
    assert not (tmp_path / FILENAME).exists()


def test_unreachable_server_is_a_weights_error(tmp_path: Path, entry: WeightsSpec) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/{FILENAME}"
    with pytest.raises(WeightsError, match=f"could not download test-vgg from {url}"):
        fetch(entry, tmp_path / FILENAME, url=url, progress=False, timeout=5)


def test_verify_accepts_the_exact_file(tmp_path: Path, entry: WeightsSpec,
                                       payload: bytes) -> None:
    path = tmp_path / FILENAME
    path.write_bytes(payload)
    verify(entry, path)
    assert sha256_of(path) == hashlib.sha256(payload).hexdigest()


def test_verify_names_the_file_and_what_was_expected(tmp_path: Path, entry: WeightsSpec,
                                                     payload: bytes) -> None:
    path = tmp_path / FILENAME
    path.write_bytes(payload[:100])
    with pytest.raises(ChecksumMismatch) as caught:
        verify(entry, path)
    assert str(caught.value) == (f"{path}: 100 bytes, expected {len(payload)} for test-vgg")


def test_sha256_of_reports_every_byte_read(tmp_path: Path, payload: bytes) -> None:
    path = tmp_path / FILENAME
    path.write_bytes(payload)
    counted: list[int] = []
    sha256_of(path, counted.append)
    assert sum(counted) == len(payload) and len(counted) > 1
