"""The queue the worker takes jobs from, and the bounded record of finished jobs."""

import threading

import numpy as np

from backend.server.jobs import FinishedJob, FinishedJobs, Job, JobQueue
from shared.options import Options


def job(name: str) -> Job:
    pixels = np.zeros((1, 1, 3), np.uint8)
    return Job(id=name, client=b"c", sequence=0, content=pixels, styles=[pixels],
               style_weights=None, options=Options(), preview_interval=0, result_dtype="u8")


def test_the_queue_is_first_in_first_out_and_can_lose_a_waiting_job():
    queue = JobQueue()
    for name in "abc":
        queue.put(job(name))
    assert queue.remove("b").id == "b" and queue.remove("b") is None
    assert [queue.take().id, queue.take().id] == ["a", "c"]


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
