"""Protocol v1: message schema, error codes, limits, encoding and strict decoding.

Every message is a ZeroMQ multipart message: one UTF-8 JSON header frame (an object), then the
raw pixel frames of the images the header describes (see :mod:`shared.framing`). The full
reference, with an example exchange, is ``docs/protocol.md``; the server's messages are typed in
:mod:`shared.messages`. Pure Python.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from shared.framing import (
    BYTES_PER_SAMPLE,
    FramingError,
    ImageTooLarge,
    brief,
    check_frame,
)
from shared.options import Options, OptionsError

PROTOCOL_VERSION = 1
DEFAULT_PORT = 5557
DEFAULT_ENDPOINT = f"tcp://127.0.0.1:{DEFAULT_PORT}"
ENDPOINT_ENV = "PORTRAIT_STYLIZATION_ENDPOINT"
HEARTBEAT_INTERVAL_S = 1.0  # the server's heartbeat to clients with queued or running jobs
SILENCE_LIMIT_S = 6.0  # a client with jobs that hears nothing this long declares the server gone
# ... unless its connection is up (ZMTP heartbeats answered): then the server's process is there,
# perhaps held up (loading a library holds Python's GIL), and only this long a silence counts.
BUSY_SILENCE_LIMIT_S = 60.0
# ZMTP heartbeats (socket options, both sides): a peer that stops answering is dropped.
TRANSPORT_HEARTBEAT_IVL_MS = 1000
TRANSPORT_HEARTBEAT_TIMEOUT_MS = 3000
MAX_HEADER_BYTES = 1 << 20
MAX_STYLES = 8
MAX_ID_LENGTH = 64
MAX_PREVIEW_INTERVAL = 1_000_000

ERROR_CODES: dict[str, str] = {
    "malformed_message": "no header frame, or not as many image frames as the header describes",
    "bad_json": "the header frame is not a UTF-8 JSON object (NaN, Infinity and duplicate keys "
                "are refused)",
    "message_too_large": "the header is over 1 MiB or the whole message over max_message_bytes",
    "protocol_version": "the header's protocol is missing or not the server's version",
    "unknown_operation": "op is not one of the operations",
    "missing_field": "a required header field is absent",
    "unknown_field": "the header has a field the operation does not define",
    "bad_field": "a field has the wrong type or an unacceptable value (also NaN or infinite)",
    "bad_options": "the options object names an unknown option or a value out of range",
    "bad_image": "an image descriptor is invalid, its frame has the wrong byte length, float "
                 "pixels are NaN or infinite, or an image is too small for VGG-19 at the first "
                 "scale",
    "image_too_large": "an image has more pixels than max_pixels",
    "job_too_large": "the job's estimated peak memory does not fit the device's free memory "
                     "(the message names an end_scale that fits); refused at submit, or when "
                     "it is about to start",
    "queue_full": "max_queue jobs are already waiting, or max_queue_per_client of this client's",
    "unknown_job": "no job with this id is known (never submitted, or forgotten long ago)",
    "job_finished": "cancel of a job that has already finished",
    "job_not_finished": "result of a job that is still queued or running",
    "result_expired": "the job finished but its image is no longer kept",
    "not_allowed": "shutdown from a client that is neither local nor authenticated",
    "shutting_down": "the server is stopping; the job was not (or will not be) finished",
    "missing_weights": "a model's weights file is not installed (the message names the command "
                       "that fetches it)",
    "out_of_memory": "the device ran out of memory during the job (the message suggests a size)",
    "engine_error": "the engine could not do the job (the message says why)",
    "client_gone": "the job's client disconnected, so the job was cancelled",
    "internal_error": "an unexpected fault in the server; the server goes on serving",
}


def is_ipv6_endpoint(endpoint: str) -> bool:
    """True for ``tcp://`` on an IPv6 literal (``tcp://[::1]:5557``): its sockets need
    ZeroMQ's IPv6 option, which is off by default."""
    transport, _, address = endpoint.partition("://")
    if transport != "tcp" or ":" not in address:
        return False
    return ":" in address.rsplit(":", 1)[0].strip("[]")


class ProtocolError(Exception):
    """A message breaks the protocol. ``code`` is a key of :data:`ERROR_CODES`; the message is
    a sentence the user can act on; ``request_id`` is echoed when it could be read."""

    def __init__(self, code: str, message: str, request_id: str | int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id


@dataclass(frozen=True)
class Limits:
    """What a server accepts; reported by ``health``."""

    max_pixels: int = 8192 * 8192
    max_message_bytes: int = 1 << 30
    max_queue: int = 64
    max_queue_per_client: int = 16
    max_face_boxes: int = 32
    max_styles: int = MAX_STYLES
    max_header_bytes: int = MAX_HEADER_BYTES

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass
class Request:
    """A decoded, validated client request. ``images`` pairs each descriptor with its frame
    (content first, then the styles); ``options`` is set for ``submit``."""

    op: str
    request_id: str | int | None
    fields: dict[str, Any]
    images: list[tuple[dict[str, Any], Any]] = field(default_factory=list)
    options: Options | None = None


# ---- field checkers: each returns the accepted value or raises ValueError with a reason ----

def _job_id(value: Any) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= MAX_ID_LENGTH:
        raise ValueError(f"must be a job id string of 1..{MAX_ID_LENGTH} characters")
    return value


def _descriptor_list(value: Any) -> list[Any]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_STYLES:
        raise ValueError(f"must be a list of 1..{MAX_STYLES} image descriptors")
    return value


def _finite_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # a JSON integer too large for a float
        return False


def _weights(value: Any) -> list[float] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(_finite_number(w) for w in value):
        raise ValueError("must be null or a list of finite numbers, one per style")
    if value and not any(value):
        raise ValueError("must not be all zero")
    if not math.isfinite(sum(abs(w) for w in value)):
        raise ValueError("must have a finite sum; scale the weights down (only their "
                         "ratios matter)")
    return [float(w) for w in value]


def _options_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError("must be an object of option names to values")
    return value


def _preview_interval(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not (
            0 <= value <= MAX_PREVIEW_INTERVAL):
        raise ValueError(f"must be a whole number of iterations within 0..{MAX_PREVIEW_INTERVAL}"
                         " (0: no previews)")
    return value


def _result_dtype(value: Any) -> str | None:
    if value is not None and (not isinstance(value, str) or value not in BYTES_PER_SAMPLE):
        raise ValueError(f"must be null or one of {', '.join(BYTES_PER_SAMPLE)}")
    return value


def _anything(value: Any) -> Any:
    return value


Checker = Callable[[Any], Any]
# op -> field -> (required, checker); "protocol", "op" and "request_id" are common to all.
OPERATIONS: dict[str, dict[str, tuple[bool, Checker]]] = {
    "health": {},
    "submit": {
        "content": (True, _anything),
        "styles": (True, _descriptor_list),
        "style_weights": (False, _weights),
        "options": (False, _options_object),
        "preview_interval": (False, _preview_interval),
        "result_dtype": (False, _result_dtype),
    },
    "cancel": {"job_id": (True, _job_id)},
    "result": {"job_id": (True, _job_id)},
    "shutdown": {},
}
COMMON_FIELDS = ("protocol", "op", "request_id")


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not allowed; send finite numbers")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {brief(key)} appears twice")
        result[key] = value
    return result


def parse_header(frame: Any) -> dict[str, Any]:
    """Strict JSON: UTF-8, an object, no NaN/Infinity, no duplicate keys."""
    try:
        text = bytes(frame).decode("utf-8")
        header = json.loads(text, parse_constant=_refuse_constant,
                            object_pairs_hook=_unique_keys)
    except UnicodeDecodeError as err:
        raise ProtocolError("bad_json", f"the header frame is not UTF-8 ({err.reason} at byte "
                                        f"{err.start})") from err
    except RecursionError as err:
        raise ProtocolError("bad_json", "the header JSON is nested too deeply") from err
    except ValueError as err:
        raise ProtocolError("bad_json", f"the header frame is not valid JSON: {err}") from err
    if not isinstance(header, dict):
        raise ProtocolError("bad_json", f"the header must be a JSON object, got "
                                        f"{type(header).__name__}")
    return header


def _request_id(header: dict[str, Any]) -> str | int | None:
    value = header.get("request_id")
    if isinstance(value, bool) or not (value is None or isinstance(value, (str, int))):
        return None
    if isinstance(value, str) and len(value) > MAX_ID_LENGTH:
        return None
    if isinstance(value, int) and abs(value) >= 2**53:
        return None
    return value


def _check_envelope(header: dict[str, Any], request_id: str | int | None) -> str:
    if "request_id" in header and header["request_id"] != request_id:
        raise ProtocolError("bad_field", f"request_id must be a string of up to {MAX_ID_LENGTH} "
                            "characters or a whole number below 2**53", None)
    if "protocol" not in header:
        raise ProtocolError("protocol_version", f"the header lacks \"protocol\"; this server "
                            f"speaks protocol {PROTOCOL_VERSION}", request_id)
    version = header["protocol"]
    if isinstance(version, bool) or version != PROTOCOL_VERSION:
        raise ProtocolError("protocol_version", f"this server speaks protocol {PROTOCOL_VERSION}"
                            f", the client sent {brief(version)}: update the client or the "
                            "server so they match", request_id)
    if "op" not in header:
        raise ProtocolError("missing_field", "the header lacks \"op\"", request_id)
    op = header["op"]
    if not isinstance(op, str) or op not in OPERATIONS:
        raise ProtocolError("unknown_operation", f"unknown operation {brief(op)}; known: "
                            f"{', '.join(OPERATIONS)}", request_id)
    return op


def _check_fields(op: str, header: dict[str, Any],
                  request_id: str | int | None) -> dict[str, Any]:
    schema = OPERATIONS[op]
    unknown = sorted(set(header) - set(schema) - set(COMMON_FIELDS))
    if unknown:
        allowed = ", ".join([*COMMON_FIELDS, *schema])
        raise ProtocolError("unknown_field", f"{op} does not take {', '.join(unknown)}; its "
                            f"fields are {allowed}", request_id)
    fields: dict[str, Any] = {}
    for name, (required, check) in schema.items():
        if name not in header:
            if required:
                raise ProtocolError("missing_field", f"{op} needs \"{name}\"", request_id)
            continue
        try:
            fields[name] = check(header[name])
        except ValueError as err:
            raise ProtocolError("bad_field", f"{name} {err}", request_id) from err
    return fields


def _submit_images(fields: dict[str, Any], frames: Sequence[Any], limits: Limits,
                   request_id: str | int | None) -> list[tuple[dict[str, Any], Any]]:
    descriptors = [fields["content"], *fields["styles"]]
    if len(frames) != len(descriptors):
        raise ProtocolError("malformed_message", f"submit describes {len(descriptors)} images "
                            f"(content, then {len(descriptors) - 1} style(s)) and needs as many "
                            f"frames after the header; it has {len(frames)}", request_id)
    weights = fields.get("style_weights")
    if weights is not None and len(weights) != len(fields["styles"]):
        raise ProtocolError("bad_field", f"style_weights has {len(weights)} value(s) for "
                            f"{len(fields['styles'])} style image(s)", request_id)
    for index, (descriptor, frame) in enumerate(zip(descriptors, frames, strict=True)):
        role = "content" if index == 0 else f"style {index}"
        try:
            check_frame(descriptor, frame, limits.max_pixels)
        except ImageTooLarge as err:
            raise ProtocolError("image_too_large", f"{role}: {err}", request_id) from err
        except FramingError as err:
            raise ProtocolError("bad_image", f"{role}: {err}", request_id) from err
    return list(zip(descriptors, frames, strict=True))


def decode_request(frames: Sequence[Any], limits: Limits | None = None) -> Request:
    """Decode and validate a client request (the frames after the ROUTER's routing id).

    ``frames`` are bytes-like. Raises :class:`ProtocolError` for anything not acceptable and
    nothing else, whatever the bytes.
    """
    limits = limits or Limits()
    if not frames:
        raise ProtocolError("malformed_message", "the message has no header frame")
    header_size = memoryview(frames[0]).nbytes
    if header_size > limits.max_header_bytes:
        raise ProtocolError("message_too_large", f"the header is {header_size:,} bytes; at most "
                            f"{limits.max_header_bytes:,} are accepted")
    total = sum(memoryview(frame).nbytes for frame in frames)
    if total > limits.max_message_bytes:
        raise ProtocolError("message_too_large", f"the message is {total:,} bytes; this server "
                            f"accepts at most {limits.max_message_bytes:,}: send smaller or 8-bit "
                            "images")
    header = parse_header(frames[0])
    request_id = _request_id(header)
    op = _check_envelope(header, request_id)
    fields = _check_fields(op, header, request_id)
    request = Request(op, request_id, fields)
    if op == "submit":
        request.images = _submit_images(fields, frames[1:], limits, request_id)
        try:
            request.options = Options.from_dict(fields.get("options", {}))
        except (OptionsError, TypeError) as err:
            raise ProtocolError("bad_options", f"options: {err}", request_id) from err
    elif len(frames) > 1:
        raise ProtocolError("malformed_message", f"{op} takes no frames after the header; got "
                            f"{len(frames) - 1}", request_id)
    return request


def jsonable(value: Any) -> Any:
    """``value`` with non-finite floats replaced by None and tuples by lists (for headers)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def encode(header: dict[str, Any], frames: Sequence[Any] = ()) -> list[Any]:
    """A multipart message: the header (``protocol`` added) as strict JSON, then ``frames``."""
    text = json.dumps({"protocol": PROTOCOL_VERSION, **header}, allow_nan=False,
                      separators=(",", ":"))
    return [text.encode("utf-8"), *frames]
