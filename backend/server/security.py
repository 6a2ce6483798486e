"""Who may talk to the server: loopback by default, CurveZMQ keys for anything else.

Keys are ordinary ZeroMQ certificate files made by ``zmq.auth.create_certificates``. A keys
folder holds ``server.key`` (public: give it to clients), ``server.key_secret`` (the server's
only), ``client.key_secret`` (a client's: copy it to the client machine) and
``authorized_clients/*.key`` (public keys of the clients the server accepts).
"""

from __future__ import annotations

import ipaddress
import shutil
from dataclasses import dataclass
from pathlib import Path

import platformdirs
import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator

from shared.backend_launcher import APP_NAME
from shared.protocol import DEFAULT_ENDPOINT

LOCAL_HOSTS = ("localhost",)


class SecurityError(Exception):
    """The endpoint or the keys do not allow a safe server; the message says what to do."""


def default_keys_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "keys"


@dataclass(frozen=True)
class KeyFiles:
    """The files of a keys folder."""

    folder: Path

    @property
    def server_public(self) -> Path:
        return self.folder / "server.key"

    @property
    def server_secret(self) -> Path:
        return self.folder / "server.key_secret"

    @property
    def client_secret(self) -> Path:
        return self.folder / "client.key_secret"

    @property
    def authorized_clients(self) -> Path:
        return self.folder / "authorized_clients"


def generate_keys(folder: Path, force: bool = False) -> KeyFiles:
    """Create a server key pair and one client key pair (authorised) in ``folder``."""
    files = KeyFiles(folder)
    if files.server_secret.exists() and not force:
        raise SecurityError(f"{files.server_secret} already exists; pass --force to replace "
                            "the keys (clients will then need the new server.key)")
    folder.mkdir(parents=True, exist_ok=True)
    files.authorized_clients.mkdir(exist_ok=True)
    zmq.auth.create_certificates(folder, "server")
    zmq.auth.create_certificates(folder, "client")
    shutil.move(folder / "client.key", files.authorized_clients / "client.key")
    for secret in (files.server_secret, files.client_secret):
        secret.chmod(0o600)
    return files


def is_local_endpoint(endpoint: str) -> bool:
    """True for ``ipc://``, ``inproc://`` and ``tcp://`` on a loopback address."""
    transport, _, address = endpoint.partition("://")
    if transport in ("ipc", "inproc"):
        return True
    if transport != "tcp" or ":" not in address:
        return False
    host = address.rsplit(":", 1)[0].strip("[]")
    if host in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # an interface name or "*": may face the network


def _check_port(endpoint: str) -> None:
    transport, _, address = endpoint.partition("://")
    port = address.rsplit(":", 1)[1] if ":" in address else ""
    if transport == "tcp" and port != "*" and not (port.isdigit() and 0 < int(port) < 65536):
        raise SecurityError(f"cannot listen on {endpoint}: the port must be a number from 1 to "
                            "65535, as in tcp://127.0.0.1:5557")


def check_endpoint(endpoint: str, keys: KeyFiles | None) -> None:
    """Refuse a network-facing endpoint without CurveZMQ keys, and a tcp port out of range
    (ZeroMQ would quietly listen on another)."""
    _check_port(endpoint)
    if keys is None and not is_local_endpoint(endpoint):
        raise SecurityError(
            f"refusing to listen on {endpoint} without CurveZMQ keys: anyone who can reach it "
            "could use this server. Run `portrait-stylize keys generate`, then start the server "
            f"with --keys, or listen on a loopback address such as {DEFAULT_ENDPOINT}")
    if keys is not None:
        if not keys.server_secret.is_file():
            raise SecurityError(f"no server secret key at {keys.server_secret}: run "
                                f"`portrait-stylize keys generate --dir {keys.folder}`")
        if not any(keys.authorized_clients.glob("*.key")):
            raise SecurityError(f"no client public keys in {keys.authorized_clients}: copy each "
                                "client's .key file there")


def secure_socket(context: zmq.Context, socket: zmq.Socket,
                  keys: KeyFiles) -> ThreadAuthenticator:
    """Make ``socket`` a CurveZMQ server that accepts only the authorised clients' keys;
    returns the running authenticator (stop it when the socket is closed)."""
    public, secret = zmq.auth.load_certificate(keys.server_secret)
    authenticator = ThreadAuthenticator(context)
    authenticator.start()
    authenticator.configure_curve(domain="*", location=str(keys.authorized_clients))
    socket.curve_publickey = public
    socket.curve_secretkey = secret
    socket.curve_server = True
    return authenticator


def curve_key_of(frame: zmq.Frame) -> str | None:
    """The CurveZMQ public key (Z85) the sender of ``frame`` authenticated with, or None on a
    socket without CurveZMQ."""
    try:
        return frame.get("User-Id") or None
    except zmq.ZMQError:
        return None  # no authentication on this socket


def peer_is_trusted(frame: zmq.Frame, endpoint: str) -> bool:
    """Whether the sender of ``frame`` came through CurveZMQ (authenticated) or from this
    machine; only such clients may shut the server down."""
    if curve_key_of(frame):
        return True
    if endpoint.partition("://")[0] in ("ipc", "inproc"):
        return True
    try:
        return ipaddress.ip_address(frame.get("Peer-Address")).is_loopback
    except (ValueError, zmq.ZMQError):
        return False
