"""``portrait-stylize keys generate``: CurveZMQ keys for a server reachable over the network."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from backend.server.security import SecurityError, default_keys_dir, generate_keys
from shared.protocol import DEFAULT_PORT


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("keys", help="CurveZMQ keys for remote use of the server",
                                   description="Manage the keys that let a server listen "
                                               "beyond loopback (see docs/protocol.md).")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    generate = actions.add_parser("generate", help="create a server key pair and a client one")
    generate.add_argument("--dir", type=Path, default=default_keys_dir(),
                          help=f"where to write them (default: {default_keys_dir()})")
    generate.add_argument("--force", action="store_true", help="replace existing keys")
    generate.set_defaults(run=run_generate)


def run_generate(args: argparse.Namespace) -> int:
    try:
        files = generate_keys(args.dir, force=args.force)
    except SecurityError as err:
        print(f"portrait-stylize keys: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"portrait-stylize keys: cannot write the keys in {args.dir} ({err.strerror}); "
              f"choose another folder with --dir", file=sys.stderr)
        return 1
    print(f"""wrote CurveZMQ keys to {files.folder}:
  {files.server_secret.name}   the server's secret key (stays on the server)
  {files.server_public.name}          the server's public key (give it to clients)
  {files.client_secret.name}   a client's key pair (copy it to the client machine)
  {files.authorized_clients.name}/  public keys of the clients the server accepts
server:  portrait-stylize serve --endpoint tcp://0.0.0.0:{DEFAULT_PORT} --keys {files.folder}
client:  portrait-stylize status --endpoint tcp://HOST:{DEFAULT_PORT} --keys DIR
         (DIR holding copies of server.key and client.key_secret)""")
    return 0
