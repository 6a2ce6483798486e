"""CurveZMQ: a network-facing server needs keys, accepts its clients' and refuses others."""

import shutil

import pytest
import zmq.auth

from backend.cli.main import main
from backend.server.security import KeyFiles, generate_keys
from shared.client import BackendUnavailable, Client
from tests.server.conftest import TINY, ServerProcess
from tests.server.test_ownership import check_ownership
from tests.shared.messages import free_endpoint


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> KeyFiles:
    """The server's keys with two authorised clients: ``client`` and ``second``."""
    files = generate_keys(tmp_path_factory.mktemp("keys"))
    zmq.auth.create_certificates(files.folder, "second")
    shutil.move(files.folder / "second.key", files.authorized_clients / "second.key")
    return files


@pytest.fixture(scope="module")
def curve_server(keys, server_logs):
    """Listening on every interface, which the server allows only with keys."""
    port = free_endpoint().rsplit(":", 1)[1]
    process = ServerProcess(server_logs, "--lazy", "--keys", str(keys.folder),
                            endpoint=f"tcp://0.0.0.0:{port}")
    process.endpoint = f"tcp://127.0.0.1:{port}"
    process.wait_healthy(server_public_key=keys.server_public,
                         client_secret_key_file=keys.client_secret)
    yield process
    process.stop()


def test_keys_generate_writes_a_server_pair_and_an_authorised_client(tmp_path, capsys):
    assert main(["keys", "generate", "--dir", str(tmp_path)]) == 0
    files = KeyFiles(tmp_path)
    assert files.server_public.is_file() and files.server_secret.is_file()
    assert files.client_secret.is_file()
    assert (files.authorized_clients / "client.key").is_file()
    assert oct(files.server_secret.stat().st_mode & 0o777) == "0o600"
    assert "--keys" in capsys.readouterr().out
    assert main(["keys", "generate", "--dir", str(tmp_path)]) == 1  # never silently replaced


def test_an_authorised_client_is_served_through_curve(curve_server, keys, content, style):
    with Client(curve_server.endpoint, server_public_key=keys.server_public,
                client_secret_key_file=keys.client_secret) as client:
        assert client.health()["curve"] is True
        image, _ = client.submit(content, [style], options=TINY).result()
        assert (image.width, image.height) == (32, 24)


def test_a_job_belongs_to_its_clients_key_and_connection(curve_server, keys, content, style):
    def connect(secret: str) -> Client:
        return Client(curve_server.endpoint, server_public_key=keys.server_public,
                      client_secret_key_file=keys.folder / secret)

    with connect("client.key_secret") as owner, connect("second.key_secret") as other, \
            connect("client.key_secret") as same_key:
        check_ownership(owner, other, content, style)
        check_ownership(owner, same_key, content, style)


def test_a_client_with_a_foreign_key_is_refused_by_name(curve_server, keys, tmp_path):
    stranger = generate_keys(tmp_path)
    with Client(curve_server.endpoint, timeout=2.0, server_public_key=keys.server_public,
                client_secret_key_file=stranger.client_secret) as client, \
            pytest.raises(BackendUnavailable, match="refused this client's CurveZMQ key"):
        client.health()


def test_a_client_without_curve_is_refused(curve_server):
    with Client(curve_server.endpoint, timeout=2.0) as client, \
            pytest.raises(BackendUnavailable, match="security handshake failed"):
        client.health()


@pytest.mark.parametrize(("extra", "message"), [
    ([], "refusing to listen on tcp://0.0.0.0"),
    (["--keys", "EMPTY"], "no server secret key"),
])
def test_serve_refuses_a_network_endpoint_without_usable_keys(tmp_path, capsys, extra,
                                                              message):
    extra = [str(tmp_path) if arg == "EMPTY" else arg for arg in extra]
    port = free_endpoint().rsplit(":", 1)[1]
    assert main(["serve", "--endpoint", f"tcp://0.0.0.0:{port}", "--lazy", *extra]) == 2
    assert message in capsys.readouterr().err
