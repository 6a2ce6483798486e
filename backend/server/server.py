"""The socket loop: a ROUTER socket, the job queue, leases on clients, and the worker's events.

Everything touching the client socket happens in the thread that calls :meth:`Server.serve`;
the worker thread reports over an inproc socket. Nothing a client sends can stop the loop: every
request gets a reply, an error reply at worst.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import zmq

from backend.engine.style_cache import DEFAULT_MAX_BYTES as DEFAULT_STYLE_CACHE_BYTES
from backend.engine.style_cache import StyleTargetCache
from backend.models.bundle import ModelBundle
from backend.server.admission import admit
from backend.server.images import PixelError, to_array
from backend.server.jobs import CANCEL_REASONS, FinishedJob, FinishedJobs, Job, JobQueue, Owner
from backend.server.security import KeyFiles, curve_key_of, peer_is_trusted, secure_socket
from backend.server.worker import WORKER_EVENTS, Worker
from backend.weights import WeightsConfig
from shared import __version__, messages
from shared.protocol import (
    DEFAULT_ENDPOINT,
    HEARTBEAT_INTERVAL_S,
    PROTOCOL_VERSION,
    TRANSPORT_HEARTBEAT_IVL_MS,
    TRANSPORT_HEARTBEAT_TIMEOUT_MS,
    Limits,
    ProtocolError,
    Request,
    decode_request,
    encode,
    is_ipv6_endpoint,
)

POLL_MS = 250
STOP_GRACE_S = 30.0
log = logging.getLogger(__name__)


class EndpointInUse(Exception):
    """Something already listens on the endpoint."""


class EndpointUnusable(Exception):
    """The endpoint cannot be listened on (no such address or interface); the message says
    which endpoint, why, and what to use instead."""


@dataclass
class ServerConfig:
    """How a server runs. ``keys``: CurveZMQ key files (required off loopback)."""

    endpoint: str = DEFAULT_ENDPOINT
    device: str = "auto"
    lazy: bool = False
    weights: WeightsConfig = field(default_factory=WeightsConfig)
    limits: Limits = field(default_factory=Limits)
    keys: KeyFiles | None = None
    result_store_bytes: int = 256 * 2**20
    style_cache_bytes: int = DEFAULT_STYLE_CACHE_BYTES
    progress_interval_s: float = 0.1


class Server:
    """One ROUTER socket, one worker on ``models``' device, jobs in a fair order across
    clients (see :class:`JobQueue`), each visible only to its owner."""

    def __init__(self, config: ServerConfig, models: ModelBundle) -> None:
        self.config = config
        self.limits = config.limits
        self._context = zmq.Context()
        self._queue = JobQueue()
        self._worker = Worker(self._context, self._queue, models,
                              StyleTargetCache(config.style_cache_bytes), config.lazy,
                              config.progress_interval_s)
        self._active: dict[str, Job] = {}
        self._running: Job | None = None
        self._finished = FinishedJobs(config.result_store_bytes)
        self._accepted = 0
        self._stop_reason: str | None = None
        self._stop_deadline = 0.0
        self._router: zmq.Socket | None = None

    # ---- life cycle ----
    def request_stop(self, reason: str = "a stop signal") -> None:
        """Stop taking jobs, cancel the waiting and running ones, and leave :meth:`serve`
        once the worker has finished (safe from a signal handler in the serving thread)."""
        if self._stop_reason is None:
            self._stop_reason = reason
            self._stop_deadline = time.monotonic() + STOP_GRACE_S

    def _bind(self) -> tuple[zmq.Socket, Any]:
        router = self._context.socket(zmq.ROUTER)
        router.router_mandatory = 1  # sending to a vanished client raises: that ends its lease
        router.maxmsgsize = self.limits.max_message_bytes
        router.heartbeat_ivl = TRANSPORT_HEARTBEAT_IVL_MS
        router.heartbeat_timeout = TRANSPORT_HEARTBEAT_TIMEOUT_MS
        router.linger = 1000
        router.ipv6 = is_ipv6_endpoint(self.config.endpoint)
        authenticator = (secure_socket(self._context, router, self.config.keys)
                         if self.config.keys else None)
        try:
            router.bind(self.config.endpoint)
        except zmq.ZMQError as err:
            router.close(linger=0)
            if authenticator:
                authenticator.stop()
            if err.errno == zmq.EADDRINUSE:
                raise EndpointInUse(f"{self.config.endpoint} is already in use") from err
            raise EndpointUnusable(f"cannot listen on {self.config.endpoint}: {err.strerror}; "
                                   "give an address of this machine, such as "
                                   f"{DEFAULT_ENDPOINT}") from err
        return router, authenticator

    def serve(self) -> None:
        """Bind and serve until shutdown. Raises :class:`EndpointInUse`."""
        try:
            router, authenticator = self._bind()
        except BaseException:
            self._context.term()
            raise
        self._router = router
        inbox = self._context.socket(zmq.PULL)
        try:
            inbox.bind(WORKER_EVENTS)
            self._worker.start()  # it loads the models; health answers meanwhile
            log.info("serving protocol %d on %s (device %s%s)", PROTOCOL_VERSION,
                     self.config.endpoint, self._worker.models.device,
                     ", CurveZMQ" if self.config.keys else "")
            self._loop(router, inbox)
        finally:
            inbox.close(linger=0)
            router.close()
            if authenticator:
                authenticator.stop()
            if not self._worker.is_alive():  # term() would wait for a stuck worker's socket
                self._context.term()
            log.info("stopped (%s)", self._stop_reason)

    def _loop(self, router: zmq.Socket, inbox: zmq.Socket) -> None:
        poller = zmq.Poller()
        poller.register(router, zmq.POLLIN)
        poller.register(inbox, zmq.POLLIN)
        next_heartbeat = time.monotonic() + HEARTBEAT_INTERVAL_S
        while not self._finished_stopping():
            ready = dict(poller.poll(POLL_MS))
            if router in ready:
                self._receive(router.recv_multipart(copy=False))
            if inbox in ready:
                self._from_worker(inbox.recv_multipart(copy=False))
            if time.monotonic() >= next_heartbeat:
                self._heartbeat()
                next_heartbeat = time.monotonic() + HEARTBEAT_INTERVAL_S
            if self._stop_reason is not None:
                self._wind_down()
        # The worker may stop right after its last words (a job's cancelled event): still
        # deliver them, or that job's client would wait for an end that never comes.
        while inbox.poll(0):
            self._from_worker(inbox.recv_multipart(copy=False))

    def _finished_stopping(self) -> bool:
        if self._stop_reason is None:
            return False
        if not self._worker.is_alive():
            return True
        if time.monotonic() > self._stop_deadline:
            log.warning("the worker did not stop within %.0f s; leaving it", STOP_GRACE_S)
            return True
        return False

    def _wind_down(self) -> None:
        for job in self._queue.drain():
            self._cancel_waiting(job, "shutting_down")
        # What is left is running, or taken by the worker before its "started" arrived.
        for job in self._active.values():
            job.request_cancel("shutting_down")
        self._queue.close()

    # ---- sending ----
    def _send(self, client: bytes, frames: list[Any]) -> bool:
        """Send without blocking; a vanished client ends its jobs, a full pipe drops the
        message (terminal messages stay fetchable with ``result``)."""
        try:
            self._router.send_multipart([client, *frames], flags=zmq.NOBLOCK, copy=False)
            return True
        except zmq.ZMQError as err:
            if err.errno == zmq.EHOSTUNREACH:
                self._client_gone(client)
            elif err.errno != zmq.EAGAIN:
                raise
            return False

    def _reply(self, client: bytes, request_id: str | int | None,
               message: messages.ServerMessage) -> None:
        self._send(client, message.replying_to(request_id).to_frames())

    def _client_gone(self, client: bytes) -> None:
        for job in [job for job in self._active.values() if job.client == client]:
            if job.cancel.is_set():
                continue  # already ending; said once
            log.info("client of job %s is gone; cancelling it", job.id)
            if self._queue.remove(job.id) is not None:
                self._cancel_waiting(job, "client_gone", notify=False)
            else:
                job.request_cancel("client_gone")

    def _heartbeat(self) -> None:
        """Tell each client with work here that the server lives (and which of its jobs it
        has); a client that has vanished shows up as unreachable and its jobs end."""
        owners: dict[bytes, list[str]] = {}
        for job in self._active.values():
            owners.setdefault(job.client, []).append(job.id)
        for client, job_ids in owners.items():
            self._send(client, messages.Heartbeat(jobs=job_ids).to_frames())

    # ---- requests ----
    def _receive(self, frames: list[zmq.Frame]) -> None:
        client, body = frames[0].bytes, frames[1:]
        request_id = None
        try:
            request = decode_request([frame.buffer for frame in body], self.limits)
            request_id = request.request_id
            self._handle(Owner(client, curve_key_of(frames[0])), request, body)
        except ProtocolError as err:
            log.info("refused a request: %s: %s", err.code, err.message)
            self._reply(client, err.request_id, messages.Error(code=err.code,
                                                               message=err.message))
        except Exception:
            log.exception("fault while handling a request")
            self._reply(client, request_id, messages.Error(
                code="internal_error",
                message="the server hit an unexpected fault with this request; it goes on "
                        "serving, and its log has the details"))

    def _handle(self, owner: Owner, request: Request, frames: list[zmq.Frame]) -> None:
        rid, client = request.request_id, owner.routing_id
        if request.op == "health":
            self._reply(client, rid, self._health(owner))
        elif request.op == "submit":
            self._submit(owner, request)
        elif request.op == "cancel":
            self._reply(client, rid, self._cancel(owner, request.fields["job_id"], rid))
        elif request.op == "result":
            self._result(owner, request.fields["job_id"], rid)
        elif request.op == "shutdown":
            if not peer_is_trusted(frames[0], self.config.endpoint):
                raise ProtocolError("not_allowed", "shutdown is only accepted from this "
                                    "machine or from a CurveZMQ-authenticated client", rid)
            self._reply(client, rid, messages.ShuttingDown())
            self.request_stop("a shutdown request")

    def _health(self, owner: Owner) -> messages.Health:
        """The server's state; of the jobs, others' only as counts."""
        worker, cache = self._worker, self._worker.style_cache
        running = self._running
        return messages.Health(
            package_version=__version__, pid=os.getpid(), device=str(worker.models.device),
            loading=not worker.ready.is_set(), models_loaded=worker.models_loaded,
            load_error=worker.load_error, queue_length=len(self._queue),
            jobs_running=int(running is not None),
            your_queue_length=self._queue.waiting_for(owner),
            running_job=running.id if running and running.owner == owner else None,
            jobs_accepted=self._accepted, curve=self.config.keys is not None,
            style_cache={"entries": cache.entries, "bytes": cache.nbytes, "hits": cache.hits,
                         "misses": cache.misses},
            limits=self.limits.to_dict())

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
