"""The client without a server: timeouts, local validation and key handling.
(Everything with a server is in tests/server/.)"""

import json
import threading

import pytest
import zmq
import zmq.auth

from shared.client import BackendError, BackendUnavailable, Client, ImageData, ProtocolMismatch
from shared.protocol import DEFAULT_ENDPOINT
from tests.shared.messages import free_endpoint


def pixels(width=8, height=8, channels=3):
    return ImageData(width, height, channels, "u8", bytes(width * height * channels))


def test_the_endpoint_comes_from_the_environment_then_the_default(monkeypatch):
    monkeypatch.setenv("PORTRAIT_STYLIZATION_ENDPOINT", "tcp://127.0.0.1:6000")
    with Client() as client:
        assert client.endpoint == "tcp://127.0.0.1:6000"
    monkeypatch.delenv("PORTRAIT_STYLIZATION_ENDPOINT")
    with Client() as client:
        assert client.endpoint == DEFAULT_ENDPOINT


def test_no_server_is_reported_after_the_timeout_with_what_to_do():
    endpoint = free_endpoint()
    with Client(endpoint, timeout=0.3) as client, pytest.raises(BackendUnavailable) as caught:
        client.health()
    assert endpoint in caught.value.message
    assert "portrait-stylize serve" in caught.value.message
    assert caught.value.code == "unavailable"


@pytest.mark.parametrize(("styles", "weights", "options", "code"), [
    ([], None, None, "bad_field"),
    ([pixels()] * 9, None, None, "bad_field"),
    ([pixels()], [1.0, 2.0], None, "bad_field"),
    ([pixels()], None, {"end_scale": 1}, "bad_options"),
    ([pixels()], None, {"no_such_option": 1}, "bad_options"),
])
def test_submissions_the_server_would_refuse_fail_before_sending(styles, weights, options,
                                                                 code):
    with Client(free_endpoint(), timeout=0.3) as client, pytest.raises(BackendError) as caught:
        client.submit(pixels(), styles, weights, options)
    assert caught.value.code == code


def test_content_must_be_image_data():
    with Client(free_endpoint(), timeout=0.3) as client, pytest.raises(TypeError):
        client.submit(b"pixels", [pixels()])


def test_curve_needs_both_key_files(tmp_path):
    public, _ = zmq.auth.create_certificates(tmp_path, "server")
    with pytest.raises(BackendError, match="needs both") as caught:
        Client(server_public_key=public)
    assert caught.value.code == "bad_keys"
    with pytest.raises(BackendError, match="holds no secret key"):
        Client(server_public_key=public, client_secret_key_file=public)
    with pytest.raises(BackendError, match="cannot read"):
        Client(server_public_key=public, client_secret_key_file=tmp_path / "missing")


@pytest.fixture
def other_version_server(request):
    """A real ROUTER socket answering every request as a server of another protocol version
    would (``request.param`` is its reply)."""
    context = zmq.Context()
    router = context.socket(zmq.ROUTER)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    stop = threading.Event()

    def answer() -> None:
        while not stop.is_set():
            if router.poll(50):
                identity, header = router.recv_multipart()[:2]
                reply = {**request.param, "request_id": json.loads(header)["request_id"]}
                router.send_multipart([identity, json.dumps(reply).encode()])

    thread = threading.Thread(target=answer)
    thread.start()
    yield f"tcp://127.0.0.1:{port}"
    stop.set()
    thread.join()
    context.destroy(linger=0)


@pytest.mark.parametrize("other_version_server", [
    {"protocol": 2, "kind": "health", "package_version": "9.0.0"},
    {"protocol": 2, "kind": "error", "code": "protocol_version",
     "message": "this server speaks protocol 2, the client sent 1"},
], indirect=True, ids=["answers health", "refuses the request"])
def test_a_server_of_another_protocol_version_is_a_mismatch(other_version_server):
    with Client(other_version_server, timeout=5.0) as client:
        with pytest.raises(ProtocolMismatch, match="protocol 2") as caught:
            client.health()
        assert caught.value.code == "protocol_version"
        with pytest.raises(ProtocolMismatch):
            client.submit(pixels(), [pixels()])
