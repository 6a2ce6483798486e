"""What a client says when its server dies: the state it last heard for the job, not a guess."""

from __future__ import annotations

import pytest

from shared.client import BackendUnavailable
from tests.server.conftest import ENDLESS


def test_a_server_killed_while_the_job_runs_is_said_to_have_been_running(start_server, content,
                                                                         style) -> None:
    server = start_server("--lazy")
    server.wait_healthy()
    with server.client(heartbeat_timeout=5.0) as client:
        events = client.submit(content, [style], options=ENDLESS).events()
        next(event for event in events if event.kind == "progress")
        server.process.kill()
        with pytest.raises(BackendUnavailable, match=r"was running \(\d+% done\) when last "
                                                     "heard of") as caught:
            list(events)
    assert "waiting" not in str(caught.value) and "queued" not in str(caught.value)


def test_a_server_killed_while_the_job_waits_is_said_to_have_had_it_queued(start_server, content,
                                                                            style) -> None:
    server = start_server("--lazy")
    server.wait_healthy()
    with server.client(heartbeat_timeout=5.0) as client:
        running = client.submit(content, [style], options=ENDLESS).events()
        next(event for event in running if event.kind == "progress")
        waiting = client.submit(content, [style], options=ENDLESS)
        assert next(waiting.events()).kind == "queued"
        server.process.kill()
        with pytest.raises(BackendUnavailable, match=r"was queued \(position \d+\) when last "
                                                     "heard of"):
            list(waiting.events())
