"""Jobs belong to their client: only it sees, cancels and fetches them; health shows others'
only as counts. Without CurveZMQ the owner is the connection; tests/server/test_curve.py
checks the same with keys."""

import pytest

from shared.client import BackendError, Client, JobCancelled
from tests.server.conftest import ENDLESS, TINY


def assert_unknown_to(other: Client, job_id: str) -> None:
    for call in (other.cancel, other.fetch_result):
        with pytest.raises(BackendError) as caught:
            call(job_id)
        assert caught.value.code == "unknown_job"


def running(job) -> None:
    next(event for event in job.events() if event.kind == "progress")


def check_ownership(owner: Client, other: Client, content, style) -> None:
    """``other`` can neither see, cancel nor fetch ``owner``'s job; ``owner`` can."""
    job = owner.submit(content, [style], options=ENDLESS)
    running(job)
    seen = other.health()
    assert seen["running_job"] is None and seen["jobs_running"] == 1
    assert owner.health()["running_job"] == job.id
    assert_unknown_to(other, job.id)
    assert owner.cancel(job.id).state == "running"
    with pytest.raises(JobCancelled):
        job.result()
    assert_unknown_to(other, job.id)
    with pytest.raises(JobCancelled):
        owner.fetch_result(job.id)


def test_another_connection_cannot_see_cancel_or_fetch_a_job(server, content, style):
    with server.client() as owner, server.client() as other:
        check_ownership(owner, other, content, style)


def test_a_finished_result_is_fetched_only_by_its_owner(server, content, style):
    with server.client() as owner, server.client() as other:
        job = owner.submit(content, [style], options=TINY)
        image, _ = job.result()
        assert owner.fetch_result(job.id)[0] == image
        assert_unknown_to(other, job.id)
