"""Jobs through a real server process: health, results, events, cancellation, re-fetching."""

import numpy as np
import pytest

from backend.server.images import image_data_to_array
from shared import __version__
from shared.client import BackendError, JobCancelled
from tests.server.conftest import ENDLESS, TINY, photo_image
from tests.shared.messages import TEST_LIMITS


def test_health_reports_versions_device_models_queue_and_limits(server):
    health = server.wait_ready()  # loaded at start: the default job's models and the
    # fidelity report's (the keypoint judge among them)
    assert health["protocol"] == 1
    assert health["package_version"] == __version__
    assert health["device"] == "cpu"
    assert {"vgg19/max", "facenet/0,1,3,4,5", "mtcnn", "facemesh", "face-detection"} <= set(
        health["models_loaded"])
    assert health["queue_length"] == 0 and health["running_job"] is None
    assert health["limits"]["max_pixels"] == TEST_LIMITS["max_pixels"]
    assert health["limits"]["max_message_bytes"] == TEST_LIMITS["max_message_bytes"]


def test_a_job_streams_its_events_and_returns_the_image_with_alpha(client, style):
    content = photo_image("astronaut", 32, 24, channels=4)
    job = client.submit(content, [style], options={**TINY, "initial_iterations": 2},
                        preview_interval=1)
    events = list(job.events())
    kinds = [event.kind for event in events]
    assert kinds[0] == "queued" and kinds[1] == "started" and kinds[-1] == "done"
    progress = [event for event in events if event.kind == "progress"]
    assert [event.iteration for event in progress] == [1, 2]
    assert progress[-1].fraction == 1.0
    assert {"total", "content", "style", "tv"} <= set(progress[-1].losses)
    previews = [event.image for event in events if event.kind == "preview"]
    assert len(previews) == 2 and previews[0].channels == 3 and previews[0].dtype == "u8"
    image, metadata = job.result()
    assert (image.width, image.height, image.channels, image.dtype) == (32, 24, 4, "u8")
    np.testing.assert_array_equal(image_data_to_array(image)[..., 3],
                                  image_data_to_array(content)[..., 3])
    assert metadata["options"]["end_scale"] == 32
    assert "vgg19" in metadata["random_weights"]  # labelled as such in every result


@pytest.mark.parametrize(("channels", "dtype", "result_dtype", "expected"), [
    (3, "u16", None, (3, "u16")),
    (3, "f32", None, (3, "f32")),
    (1, "u8", None, (3, "u8")),
    (2, "u16", "u8", (4, "u8")),
])
def test_the_result_keeps_the_content_sample_type_unless_asked(client, style, channels, dtype,
                                                               result_dtype, expected):
    content = photo_image("astronaut", 32, 24, channels=channels, dtype=dtype)
    image, _ = client.submit(content, [style], options=TINY, result_dtype=result_dtype).result()
    assert (image.channels, image.dtype) == expected
    pixels = image_data_to_array(image)
    if dtype == "f32":
        assert pixels.min() >= 0.0 and pixels.max() <= 1.0


def test_a_style_seen_before_reuses_its_gram_targets(client, content):
    style = photo_image("grass", 32, 32)
    client.submit(content, [style], options=TINY).result()
    before = client.health()["style_cache"]
    client.submit(content, [style], options=TINY).result()
    after = client.health()["style_cache"]
    assert after["hits"] == before["hits"] + 1
    assert after["misses"] == before["misses"] and after["entries"] == before["entries"]


def test_two_styles_with_weights_are_accepted(client, content, style):
    second = photo_image("gravel", 24, 24)
    _, metadata = client.submit(content, [style, second], [3.0, 1.0], TINY).result()
    assert metadata["style_weights"] == [0.75, 0.25]


def test_a_running_job_is_cancelled_and_the_server_serves_on(client, content, style):
    job = client.submit(content, [style], options=ENDLESS)
    for event in job.events():
        if event.kind == "progress":
            job.cancel()
            break
    with pytest.raises(JobCancelled, match="at a client's request"):
        job.result()
    assert client.health()["running_job"] is None
    image, _ = client.submit(content, [style], options=TINY).result()
    assert image.width == 32


def _events_until_cancelled(job) -> list[dict]:
    seen = []
    with pytest.raises(JobCancelled):
        for event in job.events():
            seen.append(event)
    return seen


def test_a_waiting_job_is_cancelled_before_it_starts(client, content, style):
    running = client.submit(content, [style], options=ENDLESS)
    next(event for event in running.events() if event.kind == "started")
    waiting = client.submit(content, [style], options=TINY)
    assert client.health()["queue_length"] == 1
    assert client.cancel(waiting.id).state == "queued"
    assert [event.kind for event in _events_until_cancelled(waiting)] == ["queued"]
    running.cancel()
    with pytest.raises(JobCancelled):
        running.result()


def test_cancelling_a_finished_job_is_refused_and_its_result_can_be_fetched(client, content,
                                                                            style):
    job = client.submit(content, [style], options=TINY)
    image, metadata = job.result()
    with pytest.raises(BackendError) as caught:
        client.cancel(job.id)
    assert caught.value.code == "job_finished"
    job.cancel()  # harmless on a finished job: it keeps its result
    again, metadata_again = client.fetch_result(job.id)
    assert again == image and metadata_again == metadata


def test_unknown_jobs_and_unfinished_results_are_refused(client, content, style):
    for call in (client.cancel, client.fetch_result):
        with pytest.raises(BackendError) as caught:
            call("0123456789abcdef")
        assert caught.value.code == "unknown_job"
    job = client.submit(content, [style], options=ENDLESS)
    with pytest.raises(BackendError) as caught:
        client.fetch_result(job.id)
    assert caught.value.code == "job_not_finished"
    job.cancel()
    with pytest.raises(JobCancelled):
        job.result()
    with pytest.raises(JobCancelled):
        client.fetch_result(job.id)


def test_missing_weights_show_in_health_and_fail_each_job_with_the_fetch_command(
        start_server, tmp_path, content, style):
    server = start_server(random_weights=False,
                          env={"PORTRAIT_STYLIZATION_WEIGHTS": str(tmp_path)})
    server.wait_healthy()
    health = server.wait_ready()
    assert "portrait-stylize weights fetch" in health["load_error"]
    assert health["models_loaded"] == []
    with server.client() as client, pytest.raises(BackendError) as caught:
        client.submit(content, [style], options=TINY).result()
    assert caught.value.code == "missing_weights"
    assert "portrait-stylize weights fetch" in caught.value.message
