"""Processes that come and go: killed clients and servers, auto-start, taken endpoints,
shutdown, and who may shut the server down."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from backend.cli.main import main
from backend.models.bundle import ModelBundle
from backend.server.server import Server, ServerConfig
from backend.weights import WeightsConfig
from shared.client import BackendError, BackendUnavailable, Client, JobCancelled
from tests.server.conftest import ENDLESS, ROOT, TINY, child_env
from tests.shared.messages import free_endpoint

LEASE_LIMIT_S = 10.0  # the promise: a vanished client's job ends, a vanished server is noticed

ORPHAN_CLIENT = """
import json, sys
from shared.client import Client, ImageData
endpoint, content, style, options = sys.argv[1:5]
load = lambda path: ImageData(**json.load(open(path + ".json")), data=open(path, "rb").read())
job = Client(endpoint).submit(load(content), [load(style)], options=json.loads(options))
print(job.id, flush=True)
for event in job.events():
    if event.kind == "progress":
        print("progress", flush=True)
"""


def save(image, path):
    path.write_bytes(image.data)
    path.with_name(path.name + ".json").write_text(json.dumps(image.descriptor()))
    return str(path)


@pytest.mark.parametrize("signal_number", [signal.SIGKILL, signal.SIGSTOP],
                         ids=["killed", "frozen"])
def test_a_vanished_clients_job_is_cancelled_and_the_server_serves_on(server, client, content,
                                                                      style, tmp_path,
                                                                      signal_number):
    """Killed: its connection closes at once. Frozen: ZMTP heartbeats go unanswered and the
    server drops the connection after 3 s. Either way its job ends within the lease."""
    orphan = subprocess.Popen(
        [sys.executable, "-c", ORPHAN_CLIENT, server.endpoint, save(content, tmp_path / "c"),
         save(style, tmp_path / "s"), json.dumps(ENDLESS)],
        stdout=subprocess.PIPE, text=True, env=child_env(), cwd=ROOT)
    orphan_job = orphan.stdout.readline().strip()
    assert orphan.stdout.readline().strip() == "progress"
    orphan.send_signal(signal_number)
    gone_at = time.monotonic()
    try:
        # Queued behind the orphan's endless job: it can only start once that job is cancelled.
        job = client.submit(content, [style], options=TINY)
        next(event for event in job.events() if event.kind == "started")
        assert time.monotonic() - gone_at < LEASE_LIMIT_S
        job.result()
        assert server.log().count(f"client of job {orphan_job} is gone") == 1
    finally:
        orphan.kill()
        orphan.wait()


def test_a_killed_server_is_reported_to_a_waiting_client(start_server, content, style):
    server = start_server("--lazy")
    server.wait_healthy()
    with server.client() as client:
        job = client.submit(content, [style], options=ENDLESS)
        events = job.events()
        next(event for event in events if event.kind == "progress")
        server.process.kill()
        killed_at = time.monotonic()
        with pytest.raises(BackendUnavailable, match="stopped answering"):
            list(events)
        assert time.monotonic() - killed_at < LEASE_LIMIT_S


def test_ensure_running_starts_a_detached_backend_which_shutdown_stops(tmp_path, monkeypatch,
                                                                       content, style):
    # GIMP's Python may set this; the backend must not inherit it.
    monkeypatch.setenv("PYTHONHOME", str(tmp_path / "not-a-python-home"))
    log_path = tmp_path / "backend.log"
    endpoint = free_endpoint()
    with Client(endpoint, timeout=5.0) as client, Client(endpoint) as stopper:
        health = client.ensure_running(
            sys.executable, ["--device", "cpu", "--allow-random-weights", "--lazy"],
            str(log_path), wait=120)
        assert health["protocol"] == 1
        assert os.getsid(health["pid"]) == health["pid"]  # its own session: detached
        assert client.launched.process.pid == health["pid"]
        job = client.submit(content, [style], options=ENDLESS)
        next(event for event in job.events() if event.kind == "progress")
        assert stopper.shutdown().kind == "shutting_down"
        with pytest.raises(JobCancelled, match="server is stopping"):
            job.result()
        assert client.launched.process.wait(timeout=60) == 0
    assert "serving protocol 1" in log_path.read_text()


def test_ensure_running_names_the_log_when_the_backend_dies(tmp_path):
    log_path = tmp_path / "backend.log"
    with Client(free_endpoint(), timeout=1.0) as client, \
            pytest.raises(BackendUnavailable, match="exited with status 1") as caught:
        client.ensure_running("/bin/false", log_path=str(log_path), wait=30)
    assert str(log_path) in caught.value.message


def serve(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "backend", "serve", "--device", "cpu",
                           "--allow-random-weights", "--lazy", *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_a_second_server_on_a_taken_endpoint_reports_the_first_and_exits(server):
    second = serve("--endpoint", server.endpoint)
    assert second.returncode == 0
    assert "a server already runs at" in second.stderr
    assert server.client().health()["protocol"] == 1


def test_an_endpoint_taken_by_another_program_is_an_error(capsys):
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        endpoint = f"tcp://127.0.0.1:{other.getsockname()[1]}"
        assert main(["serve", "--endpoint", endpoint, "--device", "cpu", "--lazy"]) == 1
    assert "in use by another program" in capsys.readouterr().err


def test_an_ipv6_loopback_endpoint_is_served(start_server, content, style):
    port = free_endpoint().rsplit(":", 1)[1]
    server = start_server("--lazy", endpoint=f"tcp://[::1]:{port}")
    server.wait_healthy()
    with server.client() as client:
        image, _ = client.submit(content, [style], options=TINY).result()
    assert image.width == 32


@pytest.mark.parametrize("endpoint", ["tcp://127.0.0.1:99999", "ipc:///no/such/folder/socket"])
def test_an_endpoint_that_cannot_be_listened_on_is_refused_in_one_line(endpoint):
    refused = serve("--endpoint", endpoint)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [refused.stderr.strip()]
    assert refused.stderr.startswith(f"portrait-stylize serve: cannot listen on {endpoint}: ")


def outward_address() -> str:
    """This machine's address on its network interface (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))
        address = probe.getsockname()[0]
    assert not address.startswith("127."), "this test needs a non-loopback interface"
    return address


def test_shutdown_from_an_unauthenticated_remote_client_is_refused():
    """The command line refuses such an endpoint without keys; the server's own check is the
    second line of defence, exercised here with the server in this process."""
    endpoint = free_endpoint().replace("127.0.0.1", outward_address())
    config = ServerConfig(endpoint=endpoint, device="cpu", lazy=True,
                          weights=WeightsConfig(allow_random=True))
    server = Server(config, ModelBundle("cpu", config.weights))
    serving = threading.Thread(target=server.serve)
    serving.start()
    try:
        with Client(endpoint) as client:
            with pytest.raises(BackendError) as caught:
                client.shutdown()
            assert caught.value.code == "not_allowed"
            assert client.health()["protocol"] == 1
    finally:
        server.request_stop()
        serving.join()
