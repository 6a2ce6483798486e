"""Out of memory during a job: an error reply with the code, and the server goes on serving.

The server runs with its data segment capped (as ``ulimit -d`` would), so a large job really
runs out of memory without taking the machine's. The server is told to plan against far more
memory than that (``--memory-limit-mb``), so admission control lets the job start whatever the
machine has free at the time: the test exercises the out-of-memory path every run, not the
estimate (tests/engine/test_memory.py and the admission tests cover that)."""

import resource

import pytest

from shared.client import BackendError
from tests.server.conftest import TINY, photo_image

DATA_LIMIT_BYTES = 1792 * 2**20  # the loaded models take about 1 GiB of it
# The first VGG-19 activation of a 2048 x 2048 image alone needs 1 GiB.
LARGE = {**TINY, "min_scale": 2048, "end_scale": 2048, "tile_size": 0}
PLANNED_MB = str(2**20)  # a 1 TiB plan: admission never refuses the large job


def cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_DATA, (DATA_LIMIT_BYTES, DATA_LIMIT_BYTES))


def test_a_job_that_runs_out_of_memory_fails_cleanly_and_the_next_one_runs(start_server,
                                                                           style):
    server = start_server("--memory-limit-mb", PLANNED_MB, preexec_fn=cap_memory)
    server.wait_healthy()
    with server.client() as client:
        big = photo_image("astronaut", 2048, 2048)
        with pytest.raises(BackendError) as caught:
            client.submit(big, [style], options=LARGE).result()
        assert caught.value.code == "out_of_memory"
        assert "end_scale" in caught.value.message
        image, _ = client.submit(photo_image("astronaut", 32, 24), [style],
                                 options=TINY).result()
        assert (image.width, image.height) == (32, 24)
        assert client.health()["running_job"] is None
