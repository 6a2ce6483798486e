"""Resumable, verified downloads of registry checkpoints.

A download goes to ``FILE.part`` (resumed with an HTTP ``Range`` request), is hashed while it is
written, and only replaces ``FILE`` once its size and SHA-256 match. Two processes fetching the
same file take turns through a file lock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import requests
from filelock import FileLock
from tqdm import tqdm

from backend.weights.registry import ChecksumMismatch, WeightsError, WeightsSpec

CHUNK = 1 << 20


def sha256_of(path: Path, on_bytes: Callable[[int], None] | None = None) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while block := stream.read(CHUNK):
            digest.update(block)
            if on_bytes:
                on_bytes(len(block))
    return digest.hexdigest()


def verify(entry: WeightsSpec, path: Path) -> None:
    """Raise :class:`ChecksumMismatch` unless ``path`` is exactly the registry's file."""
    size = path.stat().st_size
    if size != entry.size:
        raise ChecksumMismatch(f"{path}: {size} bytes, expected {entry.size} for {entry.name}")
    actual = sha256_of(path)
    if actual != entry.sha256:
        raise ChecksumMismatch(f"{path}: SHA-256 {actual}, expected {entry.sha256} for "
                               f"{entry.name}; delete it and fetch again")


def fetch(entry: WeightsSpec, destination: Path, url: str | None = None,
          progress: bool = True, timeout: float = 30.0) -> Path:
    """Download ``entry`` to ``destination`` (resuming a partial file), verify it, return it.

    ``url`` overrides the registry URL (mirrors, tests). An existing verified file is kept; a
    damaged one is replaced.
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(destination) + ".lock"):
        if destination.is_file():
            try:
                verify(entry, destination)
                return destination
            except ChecksumMismatch:
                destination.unlink()  # damaged: never keep it, download it again
        partial = destination.with_name(destination.name + ".part")
        _download(url or entry.url, partial, entry, progress, timeout)
        try:
            verify(entry, partial)
        except ChecksumMismatch as err:
            partial.unlink()
            raise ChecksumMismatch(f"the download of {entry.name} from {url or entry.url} was "
                                   f"damaged ({err}); it was deleted, run the same command to "
                                   "download it again") from err
        partial.replace(destination)
    return destination


def _download(url: str, partial: Path, entry: WeightsSpec, progress: bool,
              timeout: float) -> None:
    have = partial.stat().st_size if partial.exists() else 0
    if have > entry.size:
        partial.unlink()
        have = 0
    if have == entry.size:
        return
    headers = {"Range": f"bytes={have}-"} if have else {}
    try:
        response = requests.get(url, headers=headers, stream=True, timeout=timeout)
        response.raise_for_status()
    except requests.RequestException as err:
        raise WeightsError(f"could not download {entry.name} from {url}: {err}") from err
    with response:
        if have and response.status_code != 206:
            have = 0  # the server ignored the range: start over
        with open(partial, "ab" if have else "wb") as stream, tqdm(
                total=entry.size, initial=have, unit="B", unit_scale=True,
                desc=entry.filename, disable=not progress) as bar:
            try:
                for block in response.iter_content(CHUNK):
                    stream.write(block)
                    bar.update(len(block))
            except requests.RequestException as err:
                raise WeightsError(f"download of {entry.name} broke off ({err}); run the same "
                                   "command again to resume") from err
