"""Fair queueing through a real server: per-client limits, turns across clients, and queue
positions that never grow for a client's first waiting job."""

import pytest

from shared.client import BackendError, JobCancelled
from tests.server.conftest import ENDLESS, TINY


def started_run_index(job) -> int:
    return next(event for event in job.events() if event.kind == "started").run_index


def test_one_client_cannot_fill_the_queue_and_a_newcomer_goes_before_its_backlog(
        start_server, content, style):
    server = start_server("--lazy", "--max-queue-per-client", "2")
    server.wait_healthy()
    with server.client() as flooder, server.client() as newcomer:
        blocker = flooder.submit(content, [style], options=ENDLESS)
        started_run_index(blocker)
        backlog = [flooder.submit(content, [style], options=TINY) for _ in range(2)]
        assert [job.pending[0].position for job in backlog] == [1, 2]
        with pytest.raises(BackendError) as caught:
            flooder.submit(content, [style], options=TINY)
        assert caught.value.code == "queue_full" and "per-client limit" in caught.value.message
        assert flooder.health()["your_queue_length"] == 2
        late = newcomer.submit(content, [style], options=TINY)
        assert late.pending[0].position == 1  # ahead of the flooder's waiting jobs
        assert newcomer.health()["your_queue_length"] == 1
        blocker.cancel()
        with pytest.raises(JobCancelled):
            blocker.result()
        late_index = started_run_index(late)
        positions = [event.position for event in backlog[0].events()
                     if event.kind == "queued"]
        assert positions[:2] == [1, 2]  # moved back once, by the newcomer
        assert late_index < started_run_index(backlog[1])
        late.result()
        backlog[1].result()


def test_a_lone_clients_waiting_job_is_announced_once_and_never_moves_back(client, content,
                                                                          style):
    """The worker takes a job before its "started" reaches the socket loop; a job queued in
    that gap must not be told position 0 and then 1."""
    for _ in range(5):
        first = client.submit(content, [style], options=TINY)
        second = client.submit(content, [style], options=TINY)
        first.result()
        positions = [event.position for event in second.events()
                     if event.kind == "queued"]
        assert positions == sorted(positions, reverse=True) and positions[0] == 1
