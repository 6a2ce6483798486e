"""The transport under :class:`shared.client.Client`: one DEALER socket to a backend.

Standard library and pyzmq only, so GIMP's own Python can use it. A :class:`Connection` sends a
request and waits for the reply that carries its ``request_id``; anything else that arrives
meanwhile (job events, heartbeats) is handed to :meth:`Connection._dispatch`, which the client
overrides. After a request times out the socket is closed and reopened (the "lazy pirate"
pattern of the ZeroMQ guide), so a late reply or a queued request cannot leak into the next
exchange. Not thread-safe: one per thread.

Whether the server's process is there is also told by the transport: ZMTP heartbeats are
answered by libzmq's I/O thread, which neither the server's engine nor Python's GIL can hold
up, and a socket monitor reports the connection's handshake and loss
(:meth:`Connection._transport_up`).
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import zmq
from zmq.utils.monitor import recv_monitor_message

from shared.curve import load_curve_keys
from shared.errors import BackendError, BackendUnavailable, ProtocolMismatch
from shared.messages import Error, ServerMessage, decode_message
from shared.protocol import (
    DEFAULT_ENDPOINT,
    ENDPOINT_ENV,
    TRANSPORT_HEARTBEAT_IVL_MS,
    TRANSPORT_HEARTBEAT_TIMEOUT_MS,
    ProtocolError,
    encode,
    is_ipv6_endpoint,
)

HANDSHAKE_FAILURES = (zmq.EVENT_HANDSHAKE_FAILED_AUTH | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
                      | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL)
TRANSPORT_EVENTS = zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_DISCONNECTED
ConnectionT = TypeVar("ConnectionT", bound="Connection")


class Connection:
    """A DEALER socket to the backend at ``endpoint`` (default:
    ``$PORTRAIT_STYLIZATION_ENDPOINT``, else :data:`shared.protocol.DEFAULT_ENDPOINT`);
    ``timeout`` (s) bounds each request's wait for its reply. For a CurveZMQ server pass its
    public key (file or Z85 text) and this client's secret key file."""

    def __init__(self, endpoint: str | None = None, timeout: float = 10.0,
                 server_public_key: str | bytes | Path | None = None,
                 client_secret_key_file: str | Path | None = None) -> None:
        self.endpoint = endpoint or os.environ.get(ENDPOINT_ENV) or DEFAULT_ENDPOINT
        self.timeout = timeout
        self.log_path: Path | None = None  # the backend's log, named in BackendUnavailable
        self._curve = load_curve_keys(server_public_key, client_secret_key_file)
        self._context = zmq.Context()
        self._socket: zmq.Socket | None = None
        self._monitor: zmq.Socket | None = None
        self._connected = False  # the ZMTP handshake succeeded and the connection has not dropped
        self._handshake_failure: int | None = None
        self._request_ids = itertools.count(1)
        self._last_heard = time.monotonic()

    def _open(self) -> zmq.Socket:
        if self._socket is None:
            sock = self._context.socket(zmq.DEALER)
            sock.linger = 0
            sock.rcvhwm = 0  # the server throttles events; never drop a result the app reads late
            sock.heartbeat_ivl = TRANSPORT_HEARTBEAT_IVL_MS
            sock.heartbeat_timeout = TRANSPORT_HEARTBEAT_TIMEOUT_MS
            sock.ipv6 = is_ipv6_endpoint(self.endpoint)
            if self._curve is not None:
                sock.curve_serverkey, sock.curve_publickey, sock.curve_secretkey = self._curve
            self._monitor = sock.get_monitor_socket(HANDSHAKE_FAILURES | TRANSPORT_EVENTS)
            sock.connect(self.endpoint)
            self._socket = sock
        return self._socket

    def _reset(self) -> None:
        """Drop the socket (and anything queued in it)."""
        if self._socket is not None:
            self._socket.disable_monitor()
            self._monitor.close(linger=0)
            self._socket.close(linger=0)
        self._socket = self._monitor = None
        self._connected = False
        self._handshake_failure = None

    def _read_monitor(self) -> None:
        while self._monitor is not None and self._monitor.poll(0):
            event = recv_monitor_message(self._monitor)["event"]
            if event == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                self._connected = True
            elif event == zmq.EVENT_DISCONNECTED:
                self._connected = False
            elif self._handshake_failure is None:
                self._handshake_failure = event

    def _transport_up(self) -> bool:
        """Whether the connection to the server is up now: its ZMTP handshake succeeded and
        it has not dropped since (a killed server's drops at once, a frozen one's when 3 s of
        ZMTP heartbeats go unanswered)."""
        self._read_monitor()
        return self._connected

    def _handshake_problem(self) -> str:
        self._read_monitor()
        if self._handshake_failure == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
            return (" The server refused this client's CurveZMQ key: add the client's public"
                    " key (client.key) to the server's authorized_clients folder.")
        if self._handshake_failure is not None:
            return (" The security handshake failed: check that the client uses CurveZMQ "
                    "exactly when the server does, with the server's public key.")
        return ""

    def _unavailable(self, what: str) -> BackendUnavailable:
        problem = self._handshake_problem()
        self._reset()
        log = f" See the backend's log at {self.log_path}." if self.log_path else ""
        return BackendUnavailable(f"{what}.{problem}{log} Start it with `portrait-stylize serve "
                                  f"--endpoint {self.endpoint}` if it is not running.")

    def close(self) -> None:
        """Close the socket; jobs still running on the server are cancelled by it."""
        self._reset()
        self._context.destroy(linger=0)

    def __enter__(self: ConnectionT) -> ConnectionT:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _receive(self, timeout: float) -> ServerMessage | None:
        """The next message, or None when none comes within ``timeout`` s."""
        sock = self._open()
        if not sock.poll(max(0, int(timeout * 1000))):
            return None
        frames = sock.recv_multipart(copy=False)
        self._last_heard = time.monotonic()
        try:
            return decode_message([frame.buffer for frame in frames])
        except ProtocolError as err:
            if err.code == "protocol_version":
                raise ProtocolMismatch(f"the backend at {self.endpoint} answered in another "
                                       f"protocol version ({err.message}): install matching "
                                       "versions") from err
            raise BackendError(err.code, f"the backend sent a message this client cannot "
                               f"read: {err.message}") from err

    def _dispatch(self, message: ServerMessage) -> None:
        """File a message that is not the reply being waited for (here: drop it)."""

    def _request(self, op: str, fields: dict[str, Any] | None = None,
                 frames: Sequence[bytes] = (), timeout: float | None = None) -> ServerMessage:
        """Send ``op`` and wait for its reply; an error reply is raised as its exception,
        no reply within ``timeout`` (default :attr:`timeout`) s as BackendUnavailable."""
        request_id = next(self._request_ids)
        timeout = self.timeout if timeout is None else timeout
        self._open().send_multipart(
            encode({"op": op, "request_id": request_id, **(fields or {})}, frames), copy=False)
        deadline = time.monotonic() + timeout
        while True:
            message = self._receive(deadline - time.monotonic())
            if message is None:
                raise self._unavailable(f"no backend answered {op} at {self.endpoint} within "
                                        f"{timeout:g} s")
            if message.request_id != request_id:
                self._dispatch(message)
            elif isinstance(message, Error):
                raise message.exception()
            else:
                return message
