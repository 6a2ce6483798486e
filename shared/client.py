"""The client: talk to a backend over ZeroMQ, stream a job's progress, get its result.

Standard library and pyzmq only, so GIMP's own Python can use it. One :class:`Client` is one
DEALER socket (its transport, with the "lazy pirate" reconnection, is
:class:`shared.connection.Connection`); it is not thread-safe (use one per thread).

    client = Client()
    client.ensure_running()
    job = client.submit(content, [style], options={"end_scale": 256})
    for event in job.events():
        ...  # typed events (shared.messages): Queued, Started, Progress, Preview, then Done
    image, metadata = job.result()
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from shared.backend_launcher import LaunchedBackend, LaunchError, start_backend
from shared.connection import Connection
from shared.errors import BackendError, BackendUnavailable, JobCancelled, ProtocolMismatch
from shared.framing import ImageData
from shared.messages import (
    TERMINAL_KINDS,
    Accepted,
    Cancelled,
    Done,
    Error,
    Heartbeat,
    JobEvent,
    Progress,
    Queued,
    ServerMessage,
    Started,
)
from shared.options import Options, OptionsError
from shared.protocol import BUSY_SILENCE_LIMIT_S, MAX_STYLES, PROTOCOL_VERSION, SILENCE_LIMIT_S

__all__ = ["BackendError", "BackendUnavailable", "Client", "ImageData", "Job", "JobCancelled",
           "ProtocolMismatch"]

START_POLL_S = 1.0
ENVELOPE_BYTES = 64 * 1024  # room for the JSON header beside the pixels
Reply = TypeVar("Reply", bound=ServerMessage)


def _expect(kind: type[Reply], reply: ServerMessage, op: str) -> Reply:
    """``reply`` if it is the kind that answers ``op``; a BackendError otherwise."""
    if not isinstance(reply, kind):
        raise BackendError("malformed_message", f"the backend answered {op} with a {reply.kind} "
                           "message")
    return reply


class Job:
    """A submitted job. Iterate :meth:`events`, or call :meth:`result` to wait for the end."""

    def __init__(self, client: Client, job_id: str, position: int) -> None:
        self._client = client
        self.id = job_id
        self.pending: deque[ServerMessage] = deque([Queued(job_id=job_id, position=position)])
        self.lost = False  # the server's heartbeat no longer lists it: fetch its end
        self.last_known = f"queued (position {position})"  # what the server last said of it
        self._result: tuple[ImageData, dict[str, Any]] | None = None
        self._failure: BackendError | None = None

    @property
    def finished(self) -> bool:
        return self._result is not None or self._failure is not None

    def events(self) -> Iterator[JobEvent]:
        """Yield the job's typed events (:mod:`shared.messages`) until it ends:
        :class:`~shared.messages.Queued`, :class:`~shared.messages.Started`,
        :class:`~shared.messages.Progress`, :class:`~shared.messages.Preview` and finally
        :class:`~shared.messages.Done`. Raises :class:`JobCancelled` or :class:`BackendError`
        when the job ends otherwise, :class:`BackendUnavailable` when the server goes."""
        while True:
            if self._failure is not None:
                raise self._failure
            if self._result is not None:
                return
            event = self._client._next_event(self)
            if isinstance(event, Done):
                self._result = (event.image, event.metadata)
            elif isinstance(event, (Cancelled, Error)):
                self._failure = event.exception()
                continue
            yield event

    def result(self) -> tuple[ImageData, dict[str, Any]]:
        """Wait for the job to end; return ``(image, metadata)``. Raises as :meth:`events`."""
        for _ in self.events():
            pass
        if self._result is None:  # events() ends only with a result or an exception
            raise BackendError("malformed_message", f"job {self.id} ended without a result")
        return self._result

    def _heard(self, event: ServerMessage) -> None:
        """Keep what the server last said of the job, for messages about it."""
        if isinstance(event, Queued):
            self.last_known = f"queued (position {event.position})"
        elif isinstance(event, Progress):
            self.last_known = f"running ({event.fraction:.0%} done)"
        elif isinstance(event, Started):
            self.last_known = "running"

    def cancel(self) -> None:
        """Ask the server to stop the job; :meth:`events` then raises :class:`JobCancelled`.
        A job that has already finished keeps its result."""
        if self.finished:
            return
        try:
            self._client.cancel(self.id)
        except BackendError as err:
            if err.code != "job_finished":
                raise


class Client(Connection):
    """A connection to a backend at ``endpoint`` (default: ``$PORTRAIT_STYLIZATION_ENDPOINT``,
    else :data:`shared.protocol.DEFAULT_ENDPOINT`). ``timeout`` bounds each request's wait for a
    reply; ``heartbeat_timeout`` is how long a running job may go without any word from the server
    before the server is declared gone. For a CurveZMQ server pass its public key (file or Z85
    text) and this client's secret key file."""

    def __init__(self, endpoint: str | None = None, timeout: float = 10.0,
                 server_public_key: str | bytes | Path | None = None,
                 client_secret_key_file: str | Path | None = None,
                 heartbeat_timeout: float = SILENCE_LIMIT_S) -> None:
        super().__init__(endpoint, timeout, server_public_key, client_secret_key_file)
        self.heartbeat_timeout = heartbeat_timeout
        self.launched: LaunchedBackend | None = None  # the backend ensure_running started
        self._jobs: dict[str, Job] = {}
        self._server: dict[str, Any] | None = None

    def _reset(self) -> None:
        """Drop the socket (and anything queued in it); jobs on it are lost to this client."""
        super()._reset()
        self._server = None
        for job in self._jobs.values():
            if not job.finished:
                job._failure = BackendUnavailable(
                    f"the connection to the backend at {self.endpoint} was reset; this client "
                    f"lost track of job {job.id} (it was {job.last_known})")
        self._jobs.clear()

    # ---- job events ----
    def _dispatch(self, message: ServerMessage) -> None:
        """File a message that is not the reply being waited for."""
        if isinstance(message, Heartbeat):
            listed = set(message.jobs)
            for job in self._jobs.values():
                job.lost = job.id not in listed
            return
        job = self._jobs.get(getattr(message, "job_id", None))
        if job is not None and message.request_id is None:
            job.pending.append(message)
            job._heard(message)

    def _next_event(self, job: Job) -> ServerMessage:
        """The job's next event, waiting for it; the server must be heard from regularly."""
        while not job.pending:
            if job.lost:
                job.pending.append(self._fetch_end(job.id))
                break
            silent = time.monotonic() - self._last_heard
            # While the connection is up the server's process is there (its I/O thread answers
            # ZMTP heartbeats even when Python is held up, e.g. loading a library): wait longer.
            limit = (max(self.heartbeat_timeout, BUSY_SILENCE_LIMIT_S) if self._transport_up()
                     else self.heartbeat_timeout)
            message = self._receive(min(limit - silent, 1.0))
            if message is not None:
                self._dispatch(message)
            elif silent >= limit:
                raise self._unavailable(f"the backend at {self.endpoint} stopped answering; job "
                                        f"{job.id} was {job.last_known} when last heard of "
                                        f"(nothing heard for {silent:.0f} s); it may have "
                                        f"crashed")
        event = job.pending.popleft()
        if event.kind in TERMINAL_KINDS:
            self._jobs.pop(job.id, None)
        return event

    def _fetch_end(self, job_id: str) -> ServerMessage:
        """A job's terminal message asked for again (its event was lost)."""
        try:
            return self._request("result", {"job_id": job_id})
        except BackendUnavailable:
            raise
        except BackendError as err:
            return Error(job_id=job_id, code=err.code, message=err.message)

    # ---- operations ----
    def health(self, timeout: float | None = None) -> dict[str, Any]:
        """The server's state as the JSON object it sent (a :class:`~shared.messages.Health`
        header: protocol, package_version, device, loading, models_loaded, load_error,
        queue_length, running_job, limits; docs/protocol.md). Raises
        :class:`BackendUnavailable` or :class:`ProtocolMismatch`."""
        reply = self._request("health", timeout=timeout)
        self._server = {"protocol": PROTOCOL_VERSION, **reply.header()}
        return self._server

    def ensure_running(self, python: str | None = None, extra_args: Sequence[str] = (),
                       log_path: str | None = None, wait: float = 120.0) -> dict[str, Any]:
        """Health if a backend answers; otherwise start one detached (``python -m backend
        serve --endpoint ENDPOINT *extra_args``, ``python`` defaulting to the interpreter
        recorded at install) and wait up to ``wait`` s for its health reply. On failure
        :class:`BackendUnavailable` names the log file."""
        try:
            return self.health(timeout=min(self.timeout, START_POLL_S))
        except BackendUnavailable:
            pass
        try:
            launched = start_backend(self.endpoint, python, extra_args, log_path)
        except LaunchError as err:
            raise BackendUnavailable(str(err)) from err
        self.launched, self.log_path = launched, launched.log_path
        deadline = time.monotonic() + wait
        while True:
            # Read before asking: a backend that finds the port taken by a server exits at
            # once, cleanly, and that server's answer still counts.
            status = launched.process.poll()
            try:
                return self.health(timeout=START_POLL_S)
            except BackendUnavailable:
                pass
            if status is not None:
                raise BackendUnavailable(
                    f"the backend ({' '.join(launched.command)}) exited with status {status} "
                    f"before answering; see its log at {launched.log_path}:\n"
                    f"{launched.log_tail()}")
            if time.monotonic() > deadline:
                raise BackendUnavailable(
                    f"the backend (pid {launched.process.pid}) did not answer within {wait:g} "
                    f"s; see its log at {launched.log_path}")

    def _check_submission(self, content: ImageData, styles: Sequence[ImageData],
                          style_weights: Sequence[float] | None,
                          options: Options | Mapping[str, Any] | None) -> Options:
        """Refuse locally what the server would refuse, before sending megabytes; returns the
        options to send."""
        images = [content, *styles]
        if not all(isinstance(image, ImageData) for image in images):
            raise TypeError("content and styles must be ImageData")
        if not 1 <= len(styles) <= MAX_STYLES:
            raise BackendError("bad_field", f"give 1 to {MAX_STYLES} style images, not "
                               f"{len(styles)}")
        if style_weights is not None and len(style_weights) != len(styles):
            raise BackendError("bad_field", f"{len(style_weights)} style weights for "
                               f"{len(styles)} style images")
        if not isinstance(options, Options):
            try:
                options = Options.from_dict(dict(options or {}))
            except OptionsError as err:
                raise BackendError("bad_options", f"options: {err}") from err
        limits = (self._server or self.health())["limits"]
        roles = ["the content", *(f"style image {n}" for n in range(1, len(styles) + 1))]
        for role, image in zip(roles, images, strict=True):
            if image.pixels > limits["max_pixels"]:
                raise BackendError("image_too_large", f"{role} is {image.width}x{image.height},"
                                   f" more than the server's {limits['max_pixels']:,} pixels: "
                                   "scale it down first, or start the server with a larger "
                                   "--max-pixels")
        # A frame over the server's limit would make it drop the connection without a reply.
        total = sum(len(image.data) for image in images) + ENVELOPE_BYTES
        if total > limits["max_message_bytes"]:
            raise BackendError("message_too_large", f"the images hold {total:,} bytes, over the "
                               f"server's {limits['max_message_bytes']:,}: send smaller or 8-bit"
                               " images")
        return options

    def submit(self, content: ImageData, styles: Sequence[ImageData],
               style_weights: Sequence[float] | None = None,
               options: Options | Mapping[str, Any] | None = None, preview_interval: int = 0,
               result_dtype: str | None = None) -> Job:
        """Queue a job; returns at once with its :class:`Job`. ``options`` are
        :class:`shared.options.Options`, or some of its fields by name (the rest default);
        ``result_dtype`` (u8, u16, f32) defaults to the content's. Raises
        :class:`BackendError` (``bad_options``, ``bad_field``, ``image_too_large``,
        ``message_too_large``) for what the server would refuse."""
        options = self._check_submission(content, styles, style_weights, options)
        fields: dict[str, Any] = {
            "content": content.descriptor(), "styles": [s.descriptor() for s in styles],
            "style_weights": None if style_weights is None else [float(w) for w in style_weights],
            "options": options.to_dict(), "preview_interval": preview_interval,
            "result_dtype": result_dtype}
        reply = self._request("submit", fields, [content.data, *(s.data for s in styles)])
        accepted = _expect(Accepted, reply, "submit")
        job = Job(self, accepted.job_id, accepted.position)
        self._jobs[job.id] = job
        self._last_heard = time.monotonic()
        return job

    def cancel(self, job_id: str) -> ServerMessage:
        """Ask the server to cancel one of this client's jobs (another client's job is
        refused as ``unknown_job``)."""
        return self._request("cancel", {"job_id": job_id})

    def fetch_result(self, job_id: str) -> tuple[ImageData, dict[str, Any]]:
        """A finished job's result, asked for again (kept by the server for a while; only the
        client that submitted the job may fetch it)."""
        reply = self._request("result", {"job_id": job_id})
        if isinstance(reply, Cancelled):
            raise reply.exception()
        done = _expect(Done, reply, "result")
        return done.image, done.metadata

    def shutdown(self) -> ServerMessage:
        """Stop the server (allowed from a local or authenticated client)."""
        return self._request("shutdown")
