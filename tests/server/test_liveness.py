"""Whether a client thinks its server is there depends on the server's process, not on how busy
its Python is: a connection whose ZMTP heartbeats are answered is a live server, however long its
messages take; a frozen server's connection drops and it is reported gone."""

from __future__ import annotations

import signal
import threading
import time

import pytest

from shared.client import BackendUnavailable, JobCancelled
from tests.server.conftest import ENDLESS, TINY

LEASE_LIMIT_S = 10.0


def test_silences_longer_than_the_limit_do_not_count_while_the_connection_is_up(
        server, content, style):
    """A waiting job hears only a heartbeat a second. With a 0.3 s silence limit the client
    would give the server up at the first gap; its connection is up, so it waits on."""
    with server.client() as other, server.client(heartbeat_timeout=0.3) as client:
        running = other.submit(content, [style], options=ENDLESS)
        next(event for event in running.events() if event.kind == "progress")
        waiting = client.submit(content, [style], options=TINY)
        stopper = threading.Timer(3.0, running.cancel)  # several heartbeat gaps first
        stopper.start()
        try:
            kinds = [event.kind for event in waiting.events()]
        finally:
            stopper.join()
        assert "started" in kinds
        with pytest.raises(JobCancelled):
            running.result()


def test_a_frozen_server_is_reported_gone_within_the_lease(start_server, content, style):
    """SIGSTOP: the process keeps its socket but answers nothing, not even ZMTP heartbeats,
    so its connection drops after 3 s and the silence limit applies."""
    server = start_server("--lazy")
    server.wait_healthy()
    with server.client() as client:
        events = client.submit(content, [style], options=ENDLESS).events()
        next(event for event in events if event.kind == "progress")
        server.process.send_signal(signal.SIGSTOP)
        frozen_at = time.monotonic()
        try:
            with pytest.raises(BackendUnavailable, match="stopped answering"):
                list(events)
            assert time.monotonic() - frozen_at < LEASE_LIMIT_S
        finally:
            server.process.send_signal(signal.SIGCONT)
