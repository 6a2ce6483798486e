"""Keep MediaPipe's routine C++ notices off stderr while letting its errors through.

When a MediaPipe graph opens, its C++ code writes to file descriptor 2 (not to Python's
``sys.stderr``) TFLite's ``INFO: Created TensorFlow Lite XNNPACK delegate for CPU.``, absl's
``WARNING: All log messages before absl::InitializeLog() is called are written to STDERR`` and a
``W... inference_feedback_manager.cc:...] Feedback manager requires a model with a single
signature inference. ...`` per graph. The mediapipe wheel (0.10.x) reads no environment variable
for these (``GLOG_minloglevel`` and ``TF_CPP_MIN_LOG_LEVEL`` change nothing) and has no call to
set them, so :func:`quiet_mediapipe` captures fd 2 around the calls that print them and writes
back every captured line except those three.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator

# Whole lines, without their newline; anything else captured is written back unchanged.
ROUTINE_NOTICES = (
    re.compile(rb"INFO: Created TensorFlow Lite XNNPACK delegate for CPU\."),
    re.compile(rb"WARNING: All log messages before absl::InitializeLog\(\) is called"
               rb" are written to STDERR"),
    # absl's prefix: severity, MMDD hh:mm:ss.uuuuuu (before absl::InitializeLog,
    # "0000 00:00:" and seconds since 1970), thread id, file:line]
    re.compile(rb"W\d{4} \d\d:\d\d:\d+\.\d{6} +\d+ inference_feedback_manager\.cc:\d+\]"
               rb" Feedback manager requires a model with a single signature inference\."
               rb" Disabling support for feedback tensors\."),
)
# fd 2 is one per process: one redirection at a time (re-entrant for nested use).
_STDERR_LOCK = threading.RLock()


def is_routine_notice(line: bytes) -> bool:
    """True when ``line`` (one line, with or without its newline) is one of
    :data:`ROUTINE_NOTICES`."""
    line = line.rstrip(b"\r\n")
    return any(notice.fullmatch(line) for notice in ROUTINE_NOTICES)


@contextlib.contextmanager
def quiet_mediapipe() -> Iterator[None]:
    """Within the block, fd 2 goes to a temporary file; on leaving (also by an exception) fd 2
    is restored and every captured line that is not a routine notice is written to it, in order.

    Holds a process-wide lock meanwhile. Whatever other threads write to fd 2 (or
    ``sys.stderr``) during the block is delayed until its end, not lost. Keep the block to
    the graph's creation and first frame.
    """
    with _STDERR_LOCK, tempfile.TemporaryFile() as captured:
        if sys.stderr is not None:
            sys.stderr.flush()
        real_stderr = os.dup(2)
        try:
            os.dup2(captured.fileno(), 2)
            yield
        finally:
            if sys.stderr is not None:
                sys.stderr.flush()
            os.dup2(real_stderr, 2)
            os.close(real_stderr)
            captured.seek(0)
            kept = b"".join(line for line in captured if not is_routine_notice(line))
            with open(2, "wb", closefd=False) as stderr:
                stderr.write(kept)
