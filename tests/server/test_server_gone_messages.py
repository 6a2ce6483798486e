"""Messages that depend on a job's state say the state the code knows: what the client last
heard when its server dies, what the server counts when asked for its status."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from backend.cli.main import main
from shared.client import BackendUnavailable, Client
from tests.server.conftest import ENDLESS


@pytest.fixture
def busy_server(start_server, content, style) -> Iterator[tuple[Client, object, Iterator]]:
    """A dedicated server running an endless job, which has sent progress; yields the client,
    the server process and the running job's event iterator."""
    server = start_server("--lazy")
    server.wait_healthy()
    with server.client(heartbeat_timeout=5.0) as client:
        events = client.submit(content, [style], options=ENDLESS).events()
        next(event for event in events if event.kind == "progress")
        yield client, server, events


def test_a_server_killed_while_the_job_runs_is_said_to_have_been_running(busy_server) -> None:
    _, server, events = busy_server
    server.process.kill()
    with pytest.raises(BackendUnavailable, match=r"was running \(\d+% done\) when last "
                                                 "heard of") as caught:
        list(events)
    assert "waiting" not in str(caught.value) and "queued" not in str(caught.value)


def test_a_server_killed_while_the_job_waits_is_said_to_have_had_it_queued(busy_server, content,
                                                                            style) -> None:
    client, server, _ = busy_server
    waiting = client.submit(content, [style], options=ENDLESS)
    assert next(waiting.events()).kind == "queued"
    server.process.kill()
    with pytest.raises(BackendUnavailable, match=r"was queued \(position \d+\) when last "
                                                 "heard of"):
        list(waiting.events())


def test_status_from_another_client_counts_the_running_job(busy_server, content, style,
                                                           capsys) -> None:
    client, server, _ = busy_server
    client.submit(content, [style], options=ENDLESS)
    assert main(["status", "--endpoint", server.endpoint]) == 0
    out = capsys.readouterr().out
    assert "jobs: 1 running, 1 waiting" in out and "none" not in out
    assert "models loaded: vgg19/" in out  # a lazy server loaded them for the running job
