"""Fuzzing the request decoder: whatever arrives, it returns a request or a ProtocolError with a
known code, nothing else. Thousands of cases per run; set PORTRAIT_FUZZ_EXAMPLES for more."""

import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.protocol import ERROR_CODES, OPERATIONS, Limits, ProtocolError, decode_request
from tests.shared.messages import TEST_LIMITS, submit_frames

EXAMPLES = int(os.environ.get("PORTRAIT_FUZZ_EXAMPLES", "1000"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
LIMITS = Limits(**TEST_LIMITS)

KEYS = ["protocol", "op", "request_id", "job_id", "content", "styles", "style_weights",
        "options", "preview_interval", "result_dtype", "width", "height", "channels", "dtype",
        "end_scale", "face_weight", "x"]
scalars = (st.none() | st.booleans() | st.integers(-2**70, 2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12)
           | st.sampled_from([*OPERATIONS, "u8", "u16", "f32", 1, 0, 32]))
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(KEYS), inner, max_size=4), max_leaves=8)
headers = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=6)


def assert_decodes_or_refuses(frames):
    try:
        decode_request(frames, LIMITS)
    except ProtocolError as err:
        assert err.code in ERROR_CODES, err.code
        assert err.message


@FUZZ
@given(st.lists(st.binary(max_size=300), max_size=4))
def test_arbitrary_bytes(frames):
    assert_decodes_or_refuses(frames)


@FUZZ
@given(headers, st.lists(st.binary(max_size=64), max_size=3))
def test_arbitrary_json_headers(header, frames):
    # json.dumps writes NaN and Infinity literals for such floats: they must be refused too.
    assert_decodes_or_refuses([json.dumps(header).encode(), *frames])


@FUZZ
@given(st.data())
def test_mutated_valid_submits(data):
    frames = submit_frames(request_id=1)
    header = json.loads(frames[0])
    for _ in range(data.draw(st.integers(1, 3))):
        key = data.draw(st.sampled_from(sorted(header)))
        action = data.draw(st.sampled_from(["drop", "replace", "nest"]))
        if action == "drop":
            header.pop(key)
        elif action == "replace":
            header[key] = data.draw(json_values)
        elif isinstance(header[key], dict) and header[key]:
            inner = data.draw(st.sampled_from(sorted(header[key])))
            header[key][inner] = data.draw(json_values)
        if not header:
            break
    cut = data.draw(st.integers(-2, 2))
    frames = [json.dumps(header).encode(), *frames[1:]]
    if cut < 0:
        frames = frames[:cut]
    elif cut > 0:
        frames = [*frames, *([b"\x00" * cut] * cut)]
    assert_decodes_or_refuses(frames)


@FUZZ
@given(st.integers(1, 40), st.integers(1, 40), st.integers(1, 4),
       st.sampled_from(["u8", "u16", "f32"]), st.integers(0, 1_000_000))
def test_every_well_formed_submit_is_accepted(width, height, channels, dtype, interval):
    content = {"width": width, "height": height, "channels": channels, "dtype": dtype}
    request = decode_request(submit_frames(content=content, preview_interval=interval), LIMITS)
    assert request.images[0][0] == content
    assert request.fields["preview_interval"] == interval
