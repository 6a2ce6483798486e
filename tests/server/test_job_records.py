"""The fair queue the worker takes jobs from, and the bounded record of finished jobs."""

import threading

import numpy as np

from backend.server.jobs import FinishedJob, FinishedJobs, Job, JobQueue, Owner
from shared.options import Options

SEQUENCE = iter(range(1, 1000))


def job(name: str, client: bytes = b"c", key: str | None = None) -> Job:
    pixels = np.zeros((1, 1, 3), np.uint8)
    return Job(id=name, owner=Owner(client, key), sequence=next(SEQUENCE), content=pixels,
               styles=[pixels], style_weights=None, options=Options(), preview_interval=0,
               result_dtype="u8")


def take_all(queue: JobQueue) -> list[str]:
    return [queue.take().id for _ in range(len(queue))]


def test_one_clients_jobs_run_first_in_first_out_and_a_waiting_one_can_be_removed():
    queue = JobQueue()
    for name in "abc":
        queue.put(job(name))
    assert queue.remove("b").id == "b" and queue.remove("b") is None
    assert take_all(queue) == ["a", "c"]


def test_clients_take_turns_so_a_flood_does_not_lock_out_a_later_client():
    queue = JobQueue()
    for name in ("a1", "a2", "a3"):
        queue.put(job(name, b"A"))
    assert queue.take().id == "a1"  # running when the others arrive
    queue.put(job("b1", b"B"))
    queue.put(job("c1", b"C"))
    queue.put(job("b2", b"B"))
    assert take_all(queue) == ["b1", "c1", "a2", "b2", "a3"]


def test_a_clients_only_waiting_job_is_never_overtaken():
    queue = JobQueue()
    for name in ("a1", "a2", "a3"):
        queue.put(job(name, b"A"))
    queue.put(job("b1", b"B"))
    queue.put(job("c1", b"C"))
    assert [j.id for j in queue.waiting()] == ["a1", "b1", "c1", "a2", "a3"]


def test_a_client_with_a_running_job_goes_behind_the_others_waiting_turn():
    queue = JobQueue()
    queue.put(job("a1", b"A"))
    queue.put(job("a2", b"A"))
    queue.put(job("b1", b"B"))
    assert queue.take().id == "a1"
    assert queue.take().id == "b1"
    queue.put(job("b2", b"B"))  # B just had a turn: A's waiting job goes first
    assert take_all(queue) == ["a2", "b2"]


def test_connections_with_one_curve_key_share_one_turn_and_one_count():
    queue = JobQueue()
    queue.put(job("k1", b"one", "KEY"))
    queue.put(job("k2", b"two", "KEY"))
    queue.put(job("d1", b"three"))
    assert queue.waiting_for(Owner(b"other", "KEY")) == 2
    assert take_all(queue) == ["k1", "d1", "k2"]


def test_closing_the_queue_wakes_a_waiting_worker_with_none():
    queue, taken = JobQueue(), []
    worker = threading.Thread(target=lambda: taken.append(queue.take()))
    worker.start()
    queue.close()
    worker.join()
    assert taken == [None]


def test_drain_empties_the_queue():
    queue = JobQueue()
    queue.put(job("a"))
    assert [j.id for j in queue.drain()] == ["a"] and len(queue) == 0


def test_finished_images_are_dropped_oldest_first_beyond_the_byte_budget():
    record = FinishedJobs(max_bytes=10)
    for name in "abc":
        record.add(name, FinishedJob("done", {"kind": "done"}, [b"12345"]))
    assert [len(record.get(name).frames) for name in "abc"] == [0, 1, 1]
    assert record.get("a").header == {"kind": "done"}  # its end is still known


def test_only_the_last_records_are_kept():
    record = FinishedJobs(max_bytes=100, max_records=2)
    for name in "abc":
        record.add(name, FinishedJob("cancelled", {}, []))
    assert record.get("a") is None and record.get("c").state == "cancelled"
