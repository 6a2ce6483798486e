"""The job side of the server: admitting a submission, positions in the queue, cancel and
result requests, and each job's end (finished, cancelled, or its client gone).

:class:`JobLifecycle` is mixed into :class:`backend.server.server.Server`, which owns the socket
and the request routing; the state below is the server's, and messages leave through its
:meth:`_send` (non-blocking; a vanished client ends its jobs).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

import zmq

from backend.server.admission import admit
from backend.server.images import PixelError, to_array
from backend.server.jobs import CANCEL_REASONS, FinishedJob, FinishedJobs, Job, JobQueue, Owner
from backend.server.worker import Worker
from shared import messages
from shared.protocol import Limits, ProtocolError, Request, encode

log = logging.getLogger(__name__)


class JobLifecycle:
    """Jobs from submission to their end; every job is visible only to its owner."""

    limits: Limits
    _queue: JobQueue  # waiting jobs, in a fair order across clients
    _active: dict[str, Job]  # waiting or taken by the worker, by id
    _running: Job | None
    _finished: FinishedJobs  # ended jobs' terminal messages, kept for ``result``
    _accepted: int
    _stop_reason: str | None
    _worker: Worker
    # The server's socket: send without blocking (False when dropped); reply to a request.
    _send: Callable[[bytes, list[Any]], bool]
    _reply: Callable[[bytes, str | int | None, messages.ServerMessage], None]

    # ---- requests about jobs ----
    def _submit(self, owner: Owner, request: Request) -> None:
        rid = request.request_id
        if self._stop_reason is not None:
            raise ProtocolError("shutting_down", "the server is stopping and takes no new jobs",
                                rid)
        if len(self._queue) >= self.limits.max_queue:
            raise ProtocolError("queue_full", f"{self.limits.max_queue} jobs are already waiting;"
                                " try again when some have finished", rid)
        if self._queue.waiting_for(owner) >= self.limits.max_queue_per_client:
            raise ProtocolError("queue_full", f"this client already has "
                                f"{self.limits.max_queue_per_client} jobs waiting (the "
                                "per-client limit); submit more when some have started", rid)
        arrays = []
        for index, (descriptor, frame) in enumerate(request.images):
            try:
                arrays.append(to_array(descriptor, frame))
            except PixelError as err:
                role = "content" if index == 0 else f"style {index}"
                raise ProtocolError("bad_image", f"{role}: {err}", rid) from err
        content_size = (arrays[0].shape[1], arrays[0].shape[0])
        peak_bytes = admit(request.options, content_size,
                           [(style.shape[1], style.shape[0]) for style in arrays[1:]],
                           self.limits, self._worker.models.device, self._held_bytes(), rid)
        self._accepted += 1
        fields = request.fields
        job = Job(id=uuid.uuid4().hex, owner=owner, sequence=self._accepted,
                  content=arrays[0], styles=arrays[1:],
                  style_weights=fields.get("style_weights"), options=request.options,
                  preview_interval=fields.get("preview_interval", 0),
                  result_dtype=fields.get("result_dtype") or request.images[0][0]["dtype"],
                  peak_bytes=peak_bytes)
        self._active[job.id] = job
        self._queue.put(job)
        job.announced_position = self._positions()[job.id]
        log.info("job %s accepted (#%d, %dx%d)", job.id, job.sequence, arrays[0].shape[1],
                 arrays[0].shape[0])
        self._reply(owner.routing_id, rid, messages.Accepted(job_id=job.id,
                                                             position=job.announced_position))
        self._announce_positions()  # it may go ahead of other clients' later jobs

    def _positions(self) -> dict[str, int]:
        """Each waiting job's position: the jobs the worker has taken (running, or taken
        before their "started" arrived) plus those ahead of it in the queue. Counting taken
        jobs rather than "started" ones keeps a position from growing when a start is
        reported late."""
        waiting = self._queue.waiting()
        taken = len(self._active) - len(waiting)
        return {job.id: taken + index for index, job in enumerate(waiting)}

    def _held_bytes(self) -> int:
        """The estimated peak of the jobs the worker has taken: memory that is given back
        before a newly queued job starts."""
        waiting = {job.id for job in self._queue.waiting()}
        return sum(job.peak_bytes for job in self._active.values() if job.id not in waiting)

    def _owned(self, owner: Owner, job_id: str, rid: str | int | None) -> tuple[
            Job | None, FinishedJob | None]:
        """The job ``owner`` submitted as ``job_id``, active or finished; another client's
        job is as unknown as one that never existed."""
        job, finished = self._active.get(job_id), self._finished.get(job_id)
        if job is not None and job.owner == owner:
            return job, None
        if finished is not None and finished.owner == owner:
            return None, finished
        raise ProtocolError("unknown_job", f"no job {job_id} of this client is known here", rid)

    def _cancel(self, owner: Owner, job_id: str, rid: str | int | None) -> messages.Cancelling:
        job, finished = self._owned(owner, job_id, rid)
        if job is None:
            raise ProtocolError("job_finished", f"job {job_id} has already finished "
                                f"({finished.state}); there is nothing to cancel", rid)
        if self._queue.remove(job_id) is not None:
            self._cancel_waiting(job, "requested")
            return messages.Cancelling(job_id=job_id, state="queued")
        job.request_cancel("requested")
        return messages.Cancelling(job_id=job_id, state="running")

    def _result(self, owner: Owner, job_id: str, rid: str | int | None) -> None:
        job, finished = self._owned(owner, job_id, rid)
        if job is not None:
            raise ProtocolError("job_not_finished", f"job {job_id} is still {job.state}; wait "
                                "for its done event", rid)
        if finished.state == "done" and not finished.frames:
            raise ProtocolError("result_expired", f"job {job_id} finished but its image is no "
                                "longer kept; submit it again", rid)
        header = finished.header if rid is None else {**finished.header, "request_id": rid}
        self._send(owner.routing_id, encode(header, finished.frames))

    # ---- job ends ----
    def _client_gone(self, client: bytes) -> None:
        for job in [job for job in self._active.values() if job.client == client]:
            if job.cancel.is_set():
                continue  # already ending; said once
            log.info("client of job %s is gone; cancelling it", job.id)
            if self._queue.remove(job.id) is not None:
                self._cancel_waiting(job, "client_gone", notify=False)
            else:
                job.request_cancel("client_gone")

    def _cancel_waiting(self, job: Job, reason: str, notify: bool = True) -> None:
        """End a job that never started."""
        job.request_cancel(reason)
        message = messages.Cancelled(job_id=job.id, reason=reason,
                                     message=CANCEL_REASONS[reason])
        self._finish(job, "cancelled", message.header(), [])
        if notify:
            self._send(job.client, message.to_frames())
        self._announce_positions()

    def _finish(self, job: Job, state: str, header: dict[str, Any], frames: list[Any]) -> None:
        job.state = state
        self._active.pop(job.id, None)
        if self._running is job:
            self._running = None
        self._finished.add(job.id, FinishedJob(state, header, frames, job.owner))

    def _from_worker(self, frames: list[zmq.Frame]) -> None:
        job_id, kind = frames[0].bytes.decode(), frames[1].bytes.decode()
        job = self._active[job_id]
        message = frames[2:]
        if kind == messages.Started.kind:
            job.state = "running"
            self._running = job
            self._announce_positions()
        elif kind in messages.TERMINAL_KINDS:
            state = messages.MESSAGE_TYPES[kind].ends_job
            log.info("job %s %s", job_id, state)
            # The image frame is kept as it came (no copy): ZeroMQ frames can be sent again.
            self._finish(job, state, json.loads(message[0].bytes), list(message[1:]))
        self._send(job.client, message)
        if kind in messages.TERMINAL_KINDS:
            self._announce_positions()

    def _announce_positions(self) -> None:
        positions = self._positions()
        for job in self._queue.waiting():
            position = positions.get(job.id)
            if position is not None and position != job.announced_position:
                job.announced_position = position
                self._send(job.client, messages.Queued(job_id=job.id,
                                                       position=position).to_frames())
