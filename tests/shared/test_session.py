"""The plug-in's conversation with the backend, as far as it is GIMP-free."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator

import pytest
import zmq

from shared.client import BackendError
from shared.messages import Progress, Started
from shared.options import Options
from shared.plugin_settings import PluginSettings
from shared.schedule import scale_plan
from shared.session import (
    StylizationFailed,
    connect,
    crop_face_boxes,
    failure_message,
    fidelity_summary,
    progress_text,
    running_device,
    started_text,
)
from tests.shared.messages import free_endpoint


def test_progress_reads_scale_size_and_iteration():
    event = Progress(job_id="j", scale_index=1, n_scales=3, width=256, height=192,
                     iteration=40, iterations=500, losses={}, fraction=0.5)
    assert progress_text(event) == ("Portrait Stylization: scale 2/3 (256×192), iteration "
                                    "40/500")


def test_the_fidelity_summary_appears_only_when_faces_were_found():
    assert fidelity_summary({"faces": {"fidelity": []}}) is None
    assert fidelity_summary({}) is None
    faces = [{"nme": 0.02, "max_normalised_error": 0.05},
             {"nme": 0.04, "max_normalised_error": 0.09}]
    line = fidelity_summary({"faces": {"fidelity": faces}, "random_weights": ["vgg19"]})
    assert "2 faces" in line and "3.0%" in line and "9.0%" in line and "vgg19" in line
    assert "\n" not in line


def test_the_fidelity_summary_counts_faces_with_too_much_texture():
    faces = [{"nme": 0.02, "max_normalised_error": 0.05, "texture_exceeds": True},
             {"nme": 0.04, "max_normalised_error": 0.09, "texture_exceeds": False}]
    line = fidelity_summary({"faces": {"fidelity": faces}})
    assert "1 of them carries more fine texture than the photo" in line
    faces[0]["texture_exceeds"] = False
    assert "texture" not in fidelity_summary({"faces": {"fidelity": faces}})


def test_no_backend_and_none_to_start_is_one_clear_line():
    settings = PluginSettings(endpoint=free_endpoint(), python=None)
    with pytest.raises(StylizationFailed, match="did not answer: no backend answered") as caught:
        connect(settings)
    assert settings.endpoint in str(caught.value) and "\n" not in str(caught.value)


def _answer_as_another_version(router: zmq.Socket, answered: threading.Event) -> None:
    """A server of protocol 2 answers a version-1 request with a protocol_version error."""
    identity, header = router.recv_multipart()[:2]
    request = json.loads(header)
    reply = {"protocol": 2, "kind": "error", "request_id": request["request_id"],
             "code": "protocol_version", "message": "this server speaks protocol 2"}
    router.send_multipart([identity, json.dumps(reply).encode()])
    answered.set()


@contextlib.contextmanager
def another_version_server() -> Iterator[str]:
    """A real ROUTER socket on loopback that answers one request as a protocol-2 server; yields
    its endpoint and checks at the end that it answered."""
    router = zmq.Context.instance().socket(zmq.ROUTER)
    router.linger = 0
    port = router.bind_to_random_port("tcp://127.0.0.1")
    answered = threading.Event()
    server = threading.Thread(target=_answer_as_another_version, args=(router, answered))
    server.start()
    try:
        yield f"tcp://127.0.0.1:{port}"
    finally:
        server.join(timeout=10)
        router.close()
    assert answered.is_set()


def test_a_backend_of_another_protocol_version_is_reported_not_used():
    with another_version_server() as endpoint:
        with pytest.raises(StylizationFailed, match="another protocol version") as caught:
            connect(PluginSettings(endpoint=endpoint, python="/not/started"))
        assert "protocol 2" in str(caught.value)


def test_no_running_backend_means_no_device_and_nothing_started():
    assert running_device(PluginSettings(endpoint=free_endpoint(), python="/not/started")) is None


def test_a_backend_of_another_protocol_version_gives_no_device():
    with another_version_server() as endpoint:
        assert running_device(PluginSettings(endpoint=endpoint)) is None


def test_face_boxes_move_into_the_crop_and_are_clipped_or_dropped():
    options = Options(face_boxes=((10, 10, 30, 30), (0, 0, 5, 5), (45, 15, 80, 25)))
    cropped = crop_face_boxes(options, 8, 6, 40, 20)
    assert cropped.face_boxes == ((2.0, 4.0, 22.0, 20.0), (37.0, 9.0, 40.0, 19.0))
    assert options.face_boxes[0] == (10, 10, 30, 30)  # the caller's options are left alone


def test_missing_weights_say_which_command_to_run_and_where_the_log_is():
    settings = PluginSettings(python="/home/ada/portrait/.venv/bin/python",
                              log_path="/home/ada/.local/state/backend.log")
    message = failure_message(BackendError("missing_weights", "missing weights file "
                                           "vgg19.pth (…). Looked in: /x.\nFetch it with …"),
                              settings)
    assert "'/home/ada/portrait/.venv/bin/portrait-stylize weights fetch'" in message
    assert "/home/ada/.local/state/backend.log" in message
    assert "run the filter again" in message and "\n" not in message


def test_out_of_memory_says_which_field_to_lower():
    message = failure_message(BackendError("out_of_memory", "needs 9 GiB; 1024 px fits"),
                              PluginSettings())
    assert "Result size (px)" in message and "1024 px fits" in message


def test_starting_a_backend_says_so_before_the_wait(tmp_path):
    # A recorded interpreter that cannot start a backend: connect says it is starting one
    # (and loading models) before the wait, then fails with one line naming the log.
    seen = []
    settings = PluginSettings(endpoint=free_endpoint(), python=str(tmp_path / "no-python"),
                              log_path=str(tmp_path / "backend.log"))
    with pytest.raises(StylizationFailed, match="could not be started") as caught:
        connect(settings, lambda text, fraction: seen.append(text))
    assert seen[0] == "Portrait Stylization: connecting to the backend"
    assert "starting the backend and loading its models" in seen[1]
    assert "\n" not in str(caught.value)


def test_progress_says_roughly_how_long_is_left():
    event = Progress(job_id="j", scale_index=0, n_scales=2, width=128, height=128,
                     iteration=5, iterations=100, losses={}, fraction=0.1)
    assert progress_text(event, 720).endswith("iteration 5/100, about 12 min left")


def test_the_start_says_how_big_the_job_is_and_on_a_cpu_roughly_how_long():
    plan = scale_plan(Options(), (512, 512))
    on_cpu = started_text(Started(job_id="j", sequence=1, run_index=1, device="cpu"), plan)
    assert on_cpu.startswith("Portrait Stylization: painting at 5 sizes up to 512×512 px, ")
    assert on_cpu.endswith(" min on the CPU (rough estimate)")  # 40-60 min measured (issue 15)
    on_gpu = started_text(Started(job_id="j", sequence=1, run_index=1, device="cuda:0"), plan)
    assert on_gpu == "Portrait Stylization: painting at 5 sizes up to 512×512 px"
