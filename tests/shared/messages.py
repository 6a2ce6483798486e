"""Well-formed protocol messages for tests (the server tests send them over real sockets), and
free loopback endpoints to serve them on."""

import json
import socket

from shared.protocol import PROTOCOL_VERSION


def free_endpoint() -> str:
    """A loopback endpoint on a port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{probe.getsockname()[1]}"


def header(op: str, **fields) -> bytes:
    return json.dumps({"protocol": PROTOCOL_VERSION, "op": op, **fields}).encode()


def image_descriptor(width: int = 32, height: int = 24, channels: int = 3,
                     dtype: str = "u8") -> dict:
    return {"width": width, "height": height, "channels": channels, "dtype": dtype}


def pixel_bytes(desc: dict, fill: int = 128) -> bytes:
    size = {"u8": 1, "u16": 2, "f32": 4}.get(desc["dtype"], 8)
    return bytes([fill]) * (desc["width"] * desc["height"] * desc["channels"] * size)


def submit_frames(content: dict | None = None, styles: list[dict] | None = None,
                  **fields) -> list[bytes]:
    """A valid submit (tiny options unless given) with frames of the right lengths."""
    content = content or image_descriptor()
    styles = styles or [image_descriptor(32, 32)]
    fields.setdefault("options", {"min_scale": 32, "end_scale": 32, "initial_iterations": 1,
                                  "iterations": 1, "face_weight": 0, "mesh_weight": 0})
    return [header("submit", content=content, styles=styles, **fields),
            pixel_bytes(content), *(pixel_bytes(style) for style in styles)]


def _replace_frame(frames: list[bytes], index: int, frame: bytes | None) -> list[bytes]:
    frames = list(frames)
    if frame is None:
        del frames[index]
    else:
        frames[index] = frame
    return frames


BIG = image_descriptor(600, 400)
TEST_LIMITS = {"max_pixels": 128 * 128, "max_message_bytes": 2**20}
# (name, frames, expected error code) under TEST_LIMITS; the server tests start a server with
# these limits and send each over a real socket.
MALFORMED: list[tuple[str, list[bytes], str]] = [
    ("empty header", [b""], "bad_json"),
    ("not JSON", [b"hello"], "bad_json"),
    ("not UTF-8", [b"\xff\xfe{}"], "bad_json"),
    ("JSON array", [b"[1, 2]"], "bad_json"),
    ("NaN literal", [b'{"protocol": 1, "op": "health", "request_id": NaN}'], "bad_json"),
    ("Infinity literal", [b'{"protocol": 1, "op": "submit", "style_weights": [Infinity]}'],
     "bad_json"),
    ("duplicate key", [b'{"protocol": 1, "protocol": 1, "op": "health"}'], "bad_json"),
    ("deep nesting", [b'{"protocol": 1, "op": "health", "x": ' + b"[" * 100_000
                      + b"]" * 100_000 + b"}"], "bad_json"),
    ("no protocol", [b'{"op": "health"}'], "protocol_version"),
    ("protocol 2", [b'{"protocol": 2, "op": "health"}'], "protocol_version"),
    ("protocol as text", [b'{"protocol": "1", "op": "health"}'], "protocol_version"),
    ("no op", [b'{"protocol": 1}'], "missing_field"),
    ("unknown op", [header("dance")], "unknown_operation"),
    ("op not a string", [b'{"protocol": 1, "op": 5}'], "unknown_operation"),
    ("unknown field", [header("health", colour="red")], "unknown_field"),
    ("request_id a list", [header("health", request_id=[1])], "bad_field"),
    ("cancel without job_id", [header("cancel")], "missing_field"),
    ("job_id a number", [header("result", job_id=7)], "bad_field"),
    ("health with a frame", [header("health"), b"x"], "malformed_message"),
    ("submit missing a frame", _replace_frame(submit_frames(), 2, None), "malformed_message"),
    ("submit with an extra frame", [*submit_frames(), b"x"], "malformed_message"),
    ("buffer too short", _replace_frame(submit_frames(), 1, bytes(32 * 24 * 3 - 1)),
     "bad_image"),
    ("buffer too long", _replace_frame(submit_frames(), 2, bytes(32 * 32 * 3 + 1)),
     "bad_image"),
    ("empty image", submit_frames(content=image_descriptor(0, 24)), "bad_image"),
    ("five channels", submit_frames(content=image_descriptor(channels=5)), "bad_image"),
    ("64-bit floats", submit_frames(content=image_descriptor(dtype="f64")), "bad_image"),
    ("descriptor with a stride", [header("submit", content={**image_descriptor(), "stride": 1},
                                         styles=[image_descriptor()]), b"", b""], "bad_image"),
    ("oversized image", submit_frames(content=image_descriptor(200, 100)), "image_too_large"),
    ("message over the limit", submit_frames(content=BIG, styles=[BIG]), "message_too_large"),
    ("no styles", [header("submit", content=image_descriptor(), styles=[]), b""], "bad_field"),
    ("nine styles", submit_frames(styles=[image_descriptor()] * 9), "bad_field"),
    ("style weights of the wrong count", submit_frames(style_weights=[1.0, 2.0]), "bad_field"),
    ("infinite style weight", [submit_frames()[0].replace(b'"options"',
                                                         b'"style_weights": [1e400], "options"'),
                               *submit_frames()[1:]], "bad_field"),
    ("style weights whose sum overflows",
     submit_frames(styles=[image_descriptor(32, 32)] * 2, style_weights=[1e308, 1e308]),
     "bad_field"),
    ("zero style weights", submit_frames(style_weights=[0]), "bad_field"),
    ("unknown option", submit_frames(options={"sharpness": 3}), "bad_options"),
    ("option out of range", submit_frames(options={"end_scale": 10}), "bad_options"),
    ("infinite option", [submit_frames()[0].replace(b'"min_scale": 32', b'"min_scale": 1e999'),
                         *submit_frames()[1:]], "bad_options"),
    ("options not an object", submit_frames(options=[1]), "bad_field"),
    ("negative preview interval", submit_frames(preview_interval=-1), "bad_field"),
    ("unknown result dtype", submit_frames(result_dtype="u12"), "bad_field"),
]
