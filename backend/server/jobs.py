"""Jobs, the FIFO queue the worker takes them from, and the record of finished ones."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from shared.options import Options

CANCEL_REASONS = {
    "requested": "the job was cancelled at a client's request",
    "client_gone": "the job was cancelled because its client disconnected",
    "shutting_down": "the job was cancelled because the server is stopping",
}


@dataclass
class Job:
    """One stylization request. Images are ``(H, W, C)`` arrays as received (u8/u16/f32)."""

    id: str
    client: bytes  # the ROUTER routing id of the submitting client
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

    def request_cancel(self, reason: str) -> None:
        if not self.cancel.is_set():
            self.cancel_reason = reason
            self.cancel.set()


class JobQueue:
    """First in, first out; :meth:`take` blocks the worker until a job or :meth:`close`."""

    def __init__(self) -> None:
        self._jobs: deque[Job] = deque()
        self._ready = threading.Condition()
        self._closed = False

    def __len__(self) -> int:
        with self._ready:
            return len(self._jobs)

    def put(self, job: Job) -> None:
        with self._ready:
            self._jobs.append(job)
            self._ready.notify()

    def take(self) -> Job | None:
        """The oldest job, waiting for one; None once the queue is closed."""
        with self._ready:
            while not self._jobs and not self._closed:
                self._ready.wait()
            return None if self._closed else self._jobs.popleft()

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
        with self._ready:
            return list(self._jobs)

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
