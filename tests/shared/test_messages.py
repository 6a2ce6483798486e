"""Server messages: one typed class per kind, encoded and decoded in one place, wire unchanged."""

import json

import pytest

from shared.errors import BackendError, JobCancelled, ProtocolMismatch
from shared.framing import ImageData
from shared.messages import (
    ENDINGS,
    EVENTS,
    MESSAGE_TYPES,
    REPLIES,
    TERMINAL_KINDS,
    Cancelled,
    Done,
    Error,
    Heartbeat,
    Preview,
    Progress,
    decode_message,
)
from shared.protocol import PROTOCOL_VERSION, ProtocolError

PIXELS = ImageData(2, 1, 3, "u8", bytes(range(6)))


class Step:
    """An engine report of one iteration, as ``backend.engine.ProgressEvent`` has it."""

    scale_index, n_scales, width, height, iteration, iterations = 1, 2, 64, 48, 5, 10
    losses = {"total": 1.5, "style": float("inf")}
    fraction_done = 0.75


def test_every_kind_has_one_class_and_the_endings_are_done_cancelled_and_error():
    assert set(MESSAGE_TYPES) == {cls.kind for cls in (*REPLIES, *EVENTS)}
    assert len(MESSAGE_TYPES) == len({*REPLIES, *EVENTS})
    assert set(TERMINAL_KINDS) == {"done", "cancelled", "error"}
    assert {cls.kind: cls.ends_job for cls in ENDINGS} == {"done": "done",
                                                           "cancelled": "cancelled",
                                                           "error": "failed"}


def test_a_progress_event_is_built_from_the_engine_step_with_non_finite_losses_as_null():
    event = Progress.of("job1", Step())
    header = json.loads(event.to_frames()[0])
    assert header == {"protocol": PROTOCOL_VERSION, "kind": "progress", "job_id": "job1",
                      "scale_index": 1, "n_scales": 2, "width": 64, "height": 48,
                      "iteration": 5, "iterations": 10,
                      "losses": {"total": 1.5, "style": None}, "fraction": 0.75}


def test_the_wire_format_of_an_event_with_an_image_is_header_then_pixels():
    frames = Preview(job_id="j", scale_index=0, iteration=2, image=PIXELS).to_frames()
    assert json.loads(frames[0]) == {
        "protocol": PROTOCOL_VERSION, "kind": "preview", "job_id": "j", "scale_index": 0,
        "iteration": 2, "image": {"width": 2, "height": 1, "channels": 3, "dtype": "u8"}}
    assert frames[1:] == [PIXELS.data]


def test_a_reply_carries_the_request_id_last_and_an_event_none():
    reply = json.loads(Error(code="queue_full", message="wait").replying_to(7).to_frames()[0])
    assert list(reply) == ["protocol", "kind", "code", "message", "request_id"]
    assert reply["request_id"] == 7
    assert "request_id" not in json.loads(Heartbeat(jobs=["a"]).to_frames()[0])


@pytest.mark.parametrize("message", [
    Done(job_id="j", image=PIXELS, metadata={"size": [2, 1]}, sequence=3, run_index=2,
         timings={"queued_s": 0.5, "run_s": 1.25}),
    Cancelled(job_id="j", reason="requested", message="stopped"),
    Heartbeat(jobs=["a", "b"]),
    Error(code="engine_error", message="no", job_id="j").replying_to("r1"),
])
def test_messages_decode_to_what_was_encoded(message):
    assert decode_message(message.to_frames()) == message


def test_fields_a_newer_server_adds_are_ignored():
    frames = [json.dumps({"protocol": 1, "kind": "heartbeat", "jobs": [], "load": 3}).encode()]
    assert decode_message(frames) == Heartbeat(jobs=[])


@pytest.mark.parametrize(("header", "code"), [
    ({"protocol": 1, "kind": "weather"}, "malformed_message"),
    ({"protocol": 1, "kind": "cancelled", "job_id": "j", "reason": "requested"},
     "malformed_message"),
    ({"kind": "heartbeat", "jobs": []}, "protocol_version"),
    ({"protocol": 2, "kind": "weather", "package_version": "9.0.0"}, "protocol_version"),
])
def test_unreadable_messages_name_the_problem(header, code):
    with pytest.raises(ProtocolError) as caught:
        decode_message([json.dumps(header).encode()])
    assert caught.value.code == code


def test_another_protocol_version_names_both_versions_and_the_servers_package():
    with pytest.raises(ProtocolError, match=r"protocol 2 \(package '9.0.0'\), this client "
                                            r"speaks 1"):
        decode_message([b'{"protocol": 2, "kind": "health", "package_version": "9.0.0"}'])


def test_endings_become_the_clients_exceptions():
    assert isinstance(Cancelled(job_id="j", reason="requested", message="m").exception(),
                      JobCancelled)
    failure = Error(code="out_of_memory", message="use 512").exception()
    assert type(failure) is BackendError
    assert (failure.code, failure.message) == ("out_of_memory", "use 512")
    assert isinstance(Error(code="protocol_version", message="m").exception(),
                      ProtocolMismatch)
