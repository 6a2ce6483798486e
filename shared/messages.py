"""Server → client messages, one typed class per ``kind``: what the server sends, what clients read.

**Replies** answer one request and carry its ``request_id``; **events** belong to a job and carry
its ``job_id``. A message becomes frames with :meth:`ServerMessage.to_frames` and frames become a
message with :func:`decode_message`; nothing else in the project reads or writes these headers,
and the tables of docs/protocol.md are generated from the classes below. A field holding an
:class:`ImageData` travels as a descriptor in the header and its pixels as the next frame. Pure
Python; the wire format is the one docs/protocol.md describes.

    message = decode_message(frames)
    if isinstance(message, Progress):
        print(message.iteration, message.fraction)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import MISSING, Field, dataclass, field, fields, replace
from typing import Any, ClassVar, TypeVar

from shared import __version__
from shared.errors import BackendError, JobCancelled, ProtocolMismatch
from shared.framing import FramingError, ImageData, brief
from shared.protocol import PROTOCOL_VERSION, ProtocolError, encode, jsonable, parse_header


def _doc(text: str = "", **kwargs: Any) -> Any:
    """A message field described by ``text`` in the generated docs table."""
    return field(metadata={"doc": text}, **kwargs)


def _absent_when_none() -> Any:
    """An optional message field left out of the header when it is None."""
    return field(default=None, metadata={"omit_none": True})


def _image(text: str = "") -> Any:
    """A message field holding an :class:`ImageData` that travels as the frame after the header."""
    return field(metadata={"doc": text, "frame": True})


@dataclass(frozen=True, kw_only=True)
class ServerMessage:
    """A message from the server. ``kind`` names it on the wire; ``answers`` is the request a
    reply answers and ``when`` says when an event is sent (for the docs tables)."""

    kind: ClassVar[str]
    answers: ClassVar[str | None] = None
    when: ClassVar[str | None] = None
    ends_job: ClassVar[str | None] = None  # as an event: the job's last, and its state after
    request_id: str | int | None = None  # set on replies, echoed from the request

    @classmethod
    def body_fields(cls) -> list[Field]:
        """The fields a message of this kind has besides ``request_id``."""
        return [f for f in fields(cls) if f.name != "request_id"]

    def replying_to(self, request_id: str | int | None) -> ServerMessage:
        """This message as the reply to the request ``request_id``."""
        return replace(self, request_id=request_id)

    def header(self) -> dict[str, Any]:
        """The JSON header, without ``protocol``: ``kind``, the fields (images as descriptors,
        non-finite floats as null), then ``request_id`` when set."""
        header: dict[str, Any] = {"kind": self.kind}
        for f in self.body_fields():
            value = getattr(self, f.name)
            if value is None and f.metadata.get("omit_none"):
                continue
            header[f.name] = value.descriptor() if isinstance(value, ImageData) else jsonable(value)
        if self.request_id is not None:
            header["request_id"] = self.request_id
        return header

    def to_frames(self) -> list[Any]:
        """The multipart message: the header (with ``protocol``), then any image's pixels."""
        images = [getattr(self, f.name) for f in self.body_fields() if f.metadata.get("frame")]
        return encode(self.header(), [image.data for image in images])


@dataclass(frozen=True, kw_only=True)
class JobEvent(ServerMessage):
    """An event of one job, sent to the client that submitted it."""

    job_id: str


Message = TypeVar("Message", bound=ServerMessage)


def message(kind: str, answers: str | None = None, when: str | None = None,
            ends_job: str | None = None) -> Callable[[type[Message]], type[Message]]:
    """Declare a message class: a frozen, keyword-only dataclass sent as ``kind``. ``answers``
    names the request a reply answers and ``when`` says when an event is sent (docs tables);
    ``ends_job`` is the state (done, cancelled, failed) a job is in after this event."""
    def declare(cls: type[Message]) -> type[Message]:
        cls.kind, cls.answers, cls.when, cls.ends_job = kind, answers, when, ends_job
        return dataclass(frozen=True, kw_only=True)(cls)
    return declare


# ---- replies ----

@message("health", answers="`health`")
class Health(ServerMessage):
    """The server's state and limits."""

    package_version: str = _doc()
    pid: int = _doc()
    device: str = _doc()
    loading: bool = _doc("true until the models are in memory")
    models_loaded: list[str] = _doc()
    load_error: str | None = _doc("why the models could not be loaded, or null")
    queue_length: int = _doc("all clients' waiting jobs")
    running_job: str | None = _doc("the running job's id if it is the asking client's, "
                                   "else null")
    jobs_accepted: int = _doc()
    curve: bool = _doc("whether the server uses CurveZMQ")
    style_cache: dict[str, int] = _doc("`entries`, `bytes`, `hits`, `misses`")
    limits: dict[str, int] = _doc("[Limits](#limits)")
    jobs_running: int = _doc("running jobs, 0 or 1, whoever's", default=0)
    your_queue_length: int = _doc("the asking client's waiting jobs", default=0)


@message("accepted", answers="`submit`")
class Accepted(ServerMessage):
    """A submitted job was queued; events of ``job_id`` follow."""

    job_id: str = _doc("string")
    position: int = _doc("jobs that will run before it, the running one included")


@message("cancelling", answers="`cancel`")
class Cancelling(ServerMessage):
    """A cancel request was taken; the job's ``cancelled`` event follows."""

    job_id: str = _doc()
    state: str = _doc('`"queued"`: cancelled already, or `"running"`: stops before its next '
                      'tensor operation')


@message("shutting_down", answers="`shutdown`")
class ShuttingDown(ServerMessage):
    """The server takes no more jobs and stops once the running one has."""


# ---- events ----

@message("queued", when="the number of jobs ahead of it changed")
class Queued(JobEvent):
    """The job's place in the queue."""

    position: int = _doc()


@message("started", when="the worker took it")
class Started(JobEvent):
    """The worker began the job."""

    sequence: int = _doc("order of acceptance")
    run_index: int = _doc("order of starting")
    device: str = _doc()


@message("progress",
         when="every iteration, at most 10 per second, always the first and last of each scale")
class Progress(JobEvent):
    """One iteration done (throttled)."""

    scale_index: int = _doc("from 0")
    n_scales: int = _doc()
    width: int = _doc()
    height: int = _doc("of this scale")
    iteration: int = _doc("from 1")
    iterations: int = _doc("of this scale")
    losses: dict[str, float | None] = _doc("`total`, `content`, `style`, `tv`, and `face`, "
                                           "`mesh` when on; null if not finite")
    fraction: float = _doc("0 … 1 of all iterations")

    def scale_label(self) -> str:
        """``scale 2/3 (256×192)``: where the job is, for a progress line."""
        return f"scale {self.scale_index + 1}/{self.n_scales} ({self.width}×{self.height})"

    @classmethod
    def of(cls, job_id: str, step: Any) -> Progress:
        """The event for the engine's report of one iteration of job ``job_id``: ``step`` is a
        ``backend.engine.ProgressEvent`` (or has its attributes)."""
        return cls(job_id=job_id, scale_index=step.scale_index, n_scales=step.n_scales,
                   width=step.width, height=step.height, iteration=step.iteration,
                   iterations=step.iterations, losses=jsonable(dict(step.losses)),
                   fraction=step.fraction_done)


@message("preview", when="every `preview_interval` iterations")
class Preview(JobEvent):
    """The image as it is now, shrunk."""

    scale_index: int = _doc()
    iteration: int = _doc()
    image: ImageData = _image("u8 RGB, long side ≤ 512")


@message("done", when="the result", ends_job="done")
class Done(JobEvent):
    """The job's result: the image and what was done to make it."""

    image: ImageData = _image()
    metadata: dict[str, Any] = _doc(default_factory=dict)
    sequence: int = _doc(default=0)
    run_index: int = _doc(default=0)
    timings: dict[str, float] = _doc("`queued_s`, `run_s`", default_factory=dict)


@message("cancelled", when="the job stopped", ends_job="cancelled")
class Cancelled(JobEvent):
    """The job stopped before its end."""

    reason: str = _doc("`requested`, `client_gone`, `shutting_down`")
    message: str = _doc()

    def exception(self) -> JobCancelled:
        return JobCancelled(self.message)


@message("error",
         answers="any request",
         when="the job failed (e.g. `out_of_memory`, `missing_weights`, `engine_error`)",
         ends_job="failed")
class Error(ServerMessage):
    """A refused request (a reply, no ``job_id``) or a failed job (an event)."""

    job_id: str | None = _absent_when_none()  # set on a job's error event
    code: str = _doc()
    message: str = _doc()

    def exception(self) -> BackendError:
        if self.code == "protocol_version":
            return ProtocolMismatch(self.message)
        return BackendError(self.code, self.message)


@message("heartbeat", when="every second while the client has jobs")
class Heartbeat(ServerMessage):
    """The server lives; the jobs it holds for this client."""

    jobs: list[str] = _doc("ids of this client's waiting and running jobs")


REPLIES: tuple[type[ServerMessage], ...] = (Health, Accepted, Cancelling, ShuttingDown, Error)
EVENTS: tuple[type[ServerMessage], ...] = (Queued, Started, Progress, Preview, Done, Cancelled,
                                           Error, Heartbeat)
ENDINGS: tuple[type[ServerMessage], ...] = tuple(cls for cls in EVENTS if cls.ends_job)
TERMINAL_KINDS = frozenset(cls.kind for cls in ENDINGS)
MESSAGE_TYPES: dict[str, type[ServerMessage]] = {cls.kind: cls for cls in (*REPLIES, *EVENTS)}


def _check_protocol(header: dict[str, Any]) -> None:
    if "protocol" not in header:
        raise ProtocolError("protocol_version", "the server's message has no \"protocol\"")
    version = header["protocol"]
    if isinstance(version, bool) or version != PROTOCOL_VERSION:
        package = header.get("package_version")
        theirs = f" (package {brief(package)})" if isinstance(package, str) else ""
        raise ProtocolError("protocol_version", f"the server speaks protocol {brief(version)}"
                            f"{theirs}, this client speaks {PROTOCOL_VERSION} (package "
                            f"{__version__})")


def _images(cls: type[ServerMessage], header: dict[str, Any],
            frames: Sequence[Any]) -> dict[str, ImageData]:
    """The header's image fields, each built from its frame (in field order)."""
    names = [f.name for f in cls.body_fields() if f.metadata.get("frame") and f.name in header]
    if len(frames) != 1 + len(names):
        raise ProtocolError("malformed_message", f"a {cls.kind} message needs "
                            f"{1 + len(names)} frame(s), it has {len(frames)}")
    try:
        return {name: ImageData.from_frame(header[name], frame)
                for name, frame in zip(names, frames[1:], strict=True)}
    except FramingError as err:
        raise ProtocolError("bad_image", f"the server's image: {err}") from err


def decode_message(frames: Sequence[Any]) -> ServerMessage:
    """The typed message in ``frames`` (bytes-like: the header, then any image's pixels).
    Fields a newer server adds are ignored. Raises :class:`ProtocolError`: ``malformed_message``
    (no header, no or unknown ``kind``, a missing field, the wrong number of frames),
    ``bad_json``, ``bad_image`` or ``protocol_version``."""
    if not frames:
        raise ProtocolError("malformed_message", "the server sent an empty message")
    header = parse_header(frames[0])
    kind = header.get("kind")
    if not isinstance(kind, str):
        raise ProtocolError("malformed_message", "the server's message has no \"kind\"")
    if "protocol" in header:  # another version may use other kinds: say so first
        _check_protocol(header)
    cls = MESSAGE_TYPES.get(kind)
    if cls is None:
        raise ProtocolError("malformed_message", f"the server sent a message of unknown kind "
                            f"{brief(kind)}")
    values = {**header, **_images(cls, header, frames)}
    _check_protocol(header)
    for f in fields(cls):
        if f.name not in values and f.default is MISSING and f.default_factory is MISSING:
            raise ProtocolError("malformed_message", f"the server's {kind} message lacks "
                                f"\"{f.name}\"")
    return cls(**{f.name: values[f.name] for f in fields(cls) if f.name in values})
