"""The socket loop: a ROUTER socket, request routing, leases on clients, the worker's events.

Everything touching the client socket happens in the thread that calls :meth:`Server.serve`;
the worker thread reports over an inproc socket. Nothing a client sends can stop the loop: every
request gets a reply, an error reply at worst. What happens to jobs (admission, positions,
cancel, result, their ends) is :class:`backend.server.job_lifecycle.JobLifecycle`.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any

import zmq

from backend.engine.style_cache import DEFAULT_MAX_BYTES as DEFAULT_STYLE_CACHE_BYTES
from backend.engine.style_cache import StyleTargetCache
from backend.models.bundle import ModelBundle
from backend.server.job_lifecycle import JobLifecycle
from backend.server.jobs import FinishedJobs, Job, JobQueue, Owner
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


class Server(JobLifecycle):
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
