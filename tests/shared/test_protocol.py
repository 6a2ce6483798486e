"""Protocol v1: strict decoding of requests, encoding, and decoding of server messages."""

import json

import pytest

from shared.framing import ImageData
from shared.messages import decode_message
from shared.protocol import (
    ERROR_CODES,
    PROTOCOL_VERSION,
    Limits,
    ProtocolError,
    decode_request,
    encode,
    jsonable,
)
from tests.shared.messages import MALFORMED, TEST_LIMITS, header, submit_frames

LIMITS = Limits(**TEST_LIMITS)


@pytest.mark.parametrize(("frames", "code"), [case[1:] for case in MALFORMED],
                         ids=[case[0] for case in MALFORMED])
def test_malformed_requests_get_their_error_code(frames, code):
    with pytest.raises(ProtocolError) as caught:
        decode_request(frames, LIMITS)
    assert caught.value.code == code
    assert code in ERROR_CODES
    assert len(caught.value.message) > 10


def test_no_frames_at_all_is_malformed():
    with pytest.raises(ProtocolError) as caught:
        decode_request([], LIMITS)
    assert caught.value.code == "malformed_message"


def test_a_header_over_one_mebibyte_is_too_large():
    padded = header("health", request_id="x" * 10)[:-1] + b" " * 2**20 + b"}"
    with pytest.raises(ProtocolError) as caught:
        decode_request([padded], Limits(max_message_bytes=2**30))
    assert caught.value.code == "message_too_large"


def test_errors_echo_a_readable_request_id():
    with pytest.raises(ProtocolError) as caught:
        decode_request([header("dance", request_id="r-7")], LIMITS)
    assert caught.value.request_id == "r-7"


def test_a_valid_submit_decodes_to_options_and_image_frames():
    frames = submit_frames(style_weights=[2], preview_interval=5, result_dtype="u16",
                           request_id=12)
    request = decode_request(frames, LIMITS)
    assert request.op == "submit" and request.request_id == 12
    assert request.options.end_scale == 32 and request.options.face_weight == 0
    assert request.fields["style_weights"] == [2.0]
    assert request.fields["preview_interval"] == 5
    assert [d["width"] for d, _ in request.images] == [32, 32]
    assert [len(frame) for _, frame in request.images] == [32 * 24 * 3, 32 * 32 * 3]


@pytest.mark.parametrize("op", ["health", "shutdown"])
def test_operations_without_fields_decode(op):
    assert decode_request([header(op)], LIMITS).fields == {}


def test_encode_adds_the_protocol_and_refuses_nan():
    frames = encode({"kind": "heartbeat", "jobs": []}, [b"px"])
    assert json.loads(frames[0]) == {"protocol": PROTOCOL_VERSION, "kind": "heartbeat",
                                     "jobs": []}
    assert frames[1] == b"px"
    with pytest.raises(ValueError):
        encode({"kind": "progress", "losses": {"total": float("nan")}})


def test_jsonable_turns_non_finite_floats_into_null():
    assert jsonable({"a": (1.0, float("inf")), 2: float("nan")}) == {"a": [1.0, None], "2": None}


def test_server_messages_with_an_image_decode_to_image_data():
    frames = encode({"kind": "done", "job_id": "j", "metadata": {},
                     "image": {"width": 1, "height": 1, "channels": 2, "dtype": "u16"}},
                    [b"\x01\x00\xff\xff"])
    message = decode_message(frames)
    assert message.image == ImageData(1, 1, 2, "u16", b"\x01\x00\xff\xff")


@pytest.mark.parametrize(("frames", "code"), [
    ([], "malformed_message"),
    ([b'{"protocol": 1}'], "malformed_message"),
    ([b'{"kind": "done", "image": {"width": 1, "height": 1, "channels": 1, "dtype": "u8"}}'],
     "malformed_message"),
    ([b'{"kind": "done", "image": {"width": 2, "height": 1, "channels": 1, "dtype": "u8"}}',
      b"x"], "bad_image"),
])
def test_unreadable_server_messages_raise_protocol_errors(frames, code):
    with pytest.raises(ProtocolError) as caught:
        decode_message(frames)
    assert caught.value.code == code
