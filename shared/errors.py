"""What the client raises: every failure is one of these, with a message for the user."""

from __future__ import annotations


class BackendError(Exception):
    """The backend refused a request or a job failed. ``code`` is one of the protocol's error
    codes (docs/protocol.md) or ``unavailable``; ``message`` says what to do."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class BackendUnavailable(BackendError):
    """No backend answered, or it stopped answering."""

    def __init__(self, message: str) -> None:
        super().__init__("unavailable", message)


class ProtocolMismatch(BackendError):
    """The backend speaks another protocol version."""

    def __init__(self, message: str) -> None:
        super().__init__("protocol_version", message)


class JobCancelled(BackendError):
    """The job was cancelled (by a client, or because the server is stopping)."""

    def __init__(self, message: str) -> None:
        super().__init__("cancelled", message)
