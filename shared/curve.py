"""CurveZMQ keys on the client's side: the files ``portrait-stylize keys generate`` makes."""

from __future__ import annotations

from pathlib import Path

import zmq.auth

from shared.errors import BackendError


def load_curve_keys(server_public_key: str | bytes | Path | None,
                    client_secret_key_file: str | Path | None
                    ) -> tuple[bytes, bytes, bytes] | None:
    """``(server public, client public, client secret)`` from key files made by
    ``portrait-stylize keys generate``; the server key may also be given as its Z85 text."""
    if server_public_key is None and client_secret_key_file is None:
        return None
    if server_public_key is None or client_secret_key_file is None:
        raise BackendError("bad_keys", "CurveZMQ needs both the server's public key "
                           "(server.key) and this client's secret key file (client.key_secret)")
    try:
        if isinstance(server_public_key, (str, bytes)) and len(server_public_key) == 40:
            server_public = (server_public_key.encode() if isinstance(server_public_key, str)
                             else server_public_key)
        else:
            server_public, _ = zmq.auth.load_certificate(server_public_key)
        client_public, client_secret = zmq.auth.load_certificate(client_secret_key_file)
    except (OSError, ValueError) as err:
        raise BackendError("bad_keys", f"cannot read the CurveZMQ keys: {err}") from err
    if client_secret is None:
        raise BackendError("bad_keys", f"{client_secret_key_file} holds no secret key: pass the "
                           "client.key_secret file")
    return server_public, client_public, client_secret
