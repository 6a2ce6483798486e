"""Bad input over a raw socket: each message gets an error reply with its code, and the server
goes on serving."""

import json
import os
import struct

import pytest
import zmq
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from shared.protocol import Limits, ProtocolError, decode_request
from tests.shared.messages import (
    MALFORMED,
    TEST_LIMITS,
    header,
    image_descriptor,
    pixel_bytes,
    submit_frames,
)

REPLY_TIMEOUT_MS = 10_000
RESENDS = 5
LIVE_EXAMPLES = int(os.environ.get("PORTRAIT_FUZZ_EXAMPLES", "1000")) // 10


@pytest.fixture(scope="module")
def raw(server):
    """A bare DEALER socket: sends exactly the frames a test gives."""
    context = zmq.Context()
    socket = context.socket(zmq.DEALER)
    socket.linger = 0
    socket.connect(server.endpoint)
    yield socket
    context.destroy(linger=0)


def exchange(socket: zmq.Socket, frames: list[bytes]) -> dict:
    socket.send_multipart(frames)
    assert socket.poll(REPLY_TIMEOUT_MS), "no reply"
    reply = socket.recv_multipart()
    assert len(reply) == 1
    return json.loads(reply[0])


def assert_still_serving(socket: zmq.Socket) -> None:
    reply = exchange(socket, [header("health", request_id="alive")])
    assert (reply["kind"], reply["request_id"]) == ("health", "alive")


@pytest.mark.parametrize(("frames", "code"), [case[1:] for case in MALFORMED],
                         ids=[case[0] for case in MALFORMED])
def test_each_malformed_message_gets_its_error_code(raw, frames, code):
    reply = exchange(raw, frames)
    assert reply["kind"] == "error"
    assert reply["code"] == code
    assert reply["protocol"] == 1 and len(reply["message"]) > 10
    assert_still_serving(raw)


def test_error_replies_echo_the_request_id(raw):
    reply = exchange(raw, [header("dance", request_id=41)])
    assert (reply["code"], reply["request_id"]) == ("unknown_operation", 41)


def test_nan_and_infinite_float_pixels_are_refused(raw):
    content = image_descriptor(2, 1, 1, "f32")
    frames = submit_frames(content=content)
    for bad in (float("nan"), float("inf")):
        frames[1] = struct.pack("<2f", 0.5, bad)
        reply = exchange(raw, frames)
        assert (reply["code"], "NaN or infinite" in reply["message"]) == ("bad_image", True)
    assert_still_serving(raw)


def test_a_frame_over_the_transport_limit_drops_only_that_connection(server, raw):
    """ZMQ_MAXMSGSIZE: the server never reads such a frame; the client's socket reconnects.

    A request written after the oversized frame may leave on the connection the server is
    dropping and be lost with it, so this client resends, as the ZeroMQ guide's lazy pirate does;
    its own socket keeps replies to lost-then-resent requests away from the other tests."""
    context = zmq.Context()
    offender = context.socket(zmq.DEALER)
    offender.linger = 0
    offender.connect(server.endpoint)
    try:
        oversized = image_descriptor(1024, 1024)
        offender.send_multipart(submit_frames(content=oversized)[:1] + [pixel_bytes(oversized)]
                                + [pixel_bytes(image_descriptor(32, 32))])
        for attempt in range(RESENDS):
            offender.send_multipart([header("health", request_id=f"alive-{attempt}")])
            if offender.poll(REPLY_TIMEOUT_MS // RESENDS):
                break
        else:
            raise AssertionError(f"no health reply after {RESENDS} tries on a new connection")
        assert json.loads(offender.recv_multipart()[0])["kind"] == "health"
    finally:
        context.destroy(linger=0)
    assert_still_serving(raw)  # the other connection was never dropped


@settings(max_examples=LIVE_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.binary(max_size=64) | st.sampled_from(submit_frames() + [header("health")]),
                min_size=1, max_size=4))
def test_fuzzed_messages_get_the_decoders_error_from_the_live_server(raw, frames):
    try:
        decode_request(frames, Limits(**TEST_LIMITS))
    except ProtocolError as err:
        expected = err.code
    else:
        assume(False)  # a valid request: not what this test is about
    assert exchange(raw, frames)["code"] == expected
