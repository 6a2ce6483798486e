"""Several clients at once: every job is served, in the order the server accepted them."""

import threading

import pytest

from tests.server.conftest import TINY, photo_image

SIZES = [(32, 24), (24, 32), (32, 32)]  # distinct shapes tell the results apart


@pytest.mark.parametrize("clients", [2, 3])
def test_concurrent_clients_each_get_their_own_result_in_fifo_order(server, style, clients):
    barrier = threading.Barrier(clients)
    outcomes: dict[int, dict] = {}

    def run(index: int) -> None:
        width, height = SIZES[index]
        with server.client(timeout=30.0) as client:
            client.health()
            barrier.wait()
            job = client.submit(photo_image("astronaut", width, height), [style], options=TINY)
            started = next(e for e in job.events() if e.kind == "started")
            image, _ = job.result()
            outcomes[index] = {"job": job.id, "size": (image.width, image.height),
                               "sequence": started.sequence,
                               "run_index": started.run_index}

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == list(range(clients)), "a client got no result"
    assert [outcomes[i]["size"] for i in range(clients)] == SIZES[:clients]
    assert len({outcome["job"] for outcome in outcomes.values()}) == clients
    by_acceptance = sorted(outcomes.values(), key=lambda outcome: outcome["sequence"])
    run_order = [outcome["run_index"] for outcome in by_acceptance]
    assert run_order == sorted(run_order) and len(set(run_order)) == clients
