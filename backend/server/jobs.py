"""Jobs, the fair queue the worker takes them from, and the record of finished ones."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from shared.options import Options

CANCEL_REASONS = {
    "requested": "the job was cancelled at a client's request",
    "client_gone": "the job was cancelled because its client disconnected",
    "shutting_down": "the job was cancelled because the server is stopping",
}


@dataclass(frozen=True)
class Owner:
    """Who submitted a job: the ROUTER routing id of its connection and, on a CurveZMQ server,
    the client's public key (Z85). Only the same owner may cancel the job, read its events or
    fetch its result."""

    routing_id: bytes
    curve_key: str | None = None

    @property
    def fair_share_key(self) -> bytes | str:
        """What the fair order and the per-client limit count by: the key where there is one
        (several connections with one key are one client), else the connection."""
        return self.curve_key if self.curve_key is not None else self.routing_id


@dataclass
class Job:
    """One stylization request. Images are ``(H, W, C)`` arrays as received (u8/u16/f32)."""

    id: str
    owner: Owner
    sequence: int  # order of acceptance, from 1
    content: np.ndarray
    styles: list[np.ndarray]
    style_weights: list[float] | None
    options: Options
    preview_interval: int
    result_dtype: str
    cancel: threading.Event = field(default_factory=threading.Event)
    cancel_reason: str = "requested"
    state: str = "queued"  # queued, running, done, cancelled, failed
    submitted_at: float = field(default_factory=time.monotonic)
    announced_position: int = -1
    turn: int = 0  # the fair order's round (see JobQueue)
    peak_bytes: int = 0  # estimated peak memory (backend.engine.memory)

    @property
    def client(self) -> bytes:
        """The routing id events are sent to."""
        return self.owner.routing_id

    def request_cancel(self, reason: str) -> None:
        if not self.cancel.is_set():
            self.cancel_reason = reason
            self.cancel.set()


class JobQueue:
    """Waiting jobs in a fair order across clients; :meth:`take` blocks the worker until a job
    or :meth:`close`.

    Round-robin by start-time fair queueing: each job gets a *turn*, the later of the turn now
    being served and one past its client's previous job; the worker takes the lowest turn, the
    earliest accepted among equals. A client's first waiting job therefore waits behind at
    most one job of each other client, and is never overtaken; a client's second and later
    jobs may be overtaken by other clients' first ones.
    """

    def __init__(self) -> None:
        self._jobs: list[Job] = []
        self._ready = threading.Condition()
        self._closed = False
        self._turn = 0  # the turn of the job taken last
        self._last_turn: dict[bytes | str, int] = {}  # per client, its latest job's turn

    def __len__(self) -> int:
        with self._ready:
            return len(self._jobs)

    def put(self, job: Job) -> None:
        with self._ready:
            key = job.owner.fair_share_key
            previous = self._last_turn.get(key)
            job.turn = self._turn if previous is None else max(self._turn, previous + 1)
            self._last_turn[key] = job.turn
            self._jobs.append(job)
            self._jobs.sort(key=lambda waiting: (waiting.turn, waiting.sequence))
            self._ready.notify()

    def take(self) -> Job | None:
        """The next job in the fair order, waiting for one; None once the queue is closed."""
        with self._ready:
            while not self._jobs and not self._closed:
                self._ready.wait()
            if self._closed:
                return None
            job = self._jobs.pop(0)
            self._turn = job.turn
            # A client whose last turn has passed starts again from the current one.
            self._last_turn = {key: turn for key, turn in self._last_turn.items()
                               if turn >= self._turn}
            return job

    def remove(self, job_id: str) -> Job | None:
        """Take a waiting job out (cancel); None if it is not waiting (running or unknown)."""
        with self._ready:
            for job in self._jobs:
                if job.id == job_id:
                    self._jobs.remove(job)
                    return job
        return None

    def drain(self) -> list[Job]:
        """Remove and return every waiting job."""
        with self._ready:
            jobs = list(self._jobs)
            self._jobs.clear()
            return jobs

    def waiting(self) -> list[Job]:
        """The waiting jobs in the order they will run."""
        with self._ready:
            return list(self._jobs)

    def waiting_for(self, owner: Owner) -> int:
        """How many jobs of ``owner``'s client wait."""
        key = owner.fair_share_key
        with self._ready:
            return sum(1 for job in self._jobs if job.owner.fair_share_key == key)

    def close(self) -> None:
        """Wake the worker for good; waiting jobs stay (drain them first)."""
        with self._ready:
            self._closed = True
            self._ready.notify_all()


@dataclass
class FinishedJob:
    """A job's terminal message as sent: its header and frames (bytes-like; emptied once the
    image is evicted)."""

    state: str
    header: dict[str, Any]
    frames: list[Any]
    owner: Owner | None = None

    @property
    def nbytes(self) -> int:
        return sum(memoryview(frame).nbytes for frame in self.frames)


class FinishedJobs:
    """The ends of the last ``max_records`` jobs, with result images up to ``max_bytes``."""

    def __init__(self, max_bytes: int, max_records: int = 1000) -> None:
        self.max_bytes = max_bytes
        self.max_records = max_records
        self._records: OrderedDict[str, FinishedJob] = OrderedDict()
        self._nbytes = 0

    def get(self, job_id: str) -> FinishedJob | None:
        return self._records.get(job_id)

    def add(self, job_id: str, finished: FinishedJob) -> None:
        self._records[job_id] = finished
        self._nbytes += finished.nbytes
        while len(self._records) > self.max_records:
            _, old = self._records.popitem(last=False)
            self._nbytes -= old.nbytes
        for old in self._records.values():
            if self._nbytes <= self.max_bytes:
                break
            self._nbytes -= old.nbytes
            old.frames = []
