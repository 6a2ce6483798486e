"""``portrait-stylize serve``: the long-lived backend that editors' plug-ins talk to."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path

from backend.cli.common import add_model_flags, model_bundle, weights_config
from backend.engine.memory import set_memory_limit
from backend.engine.style_cache import DEFAULT_MAX_BYTES as DEFAULT_STYLE_CACHE_BYTES
from backend.server.security import KeyFiles, SecurityError, check_endpoint, default_keys_dir
from backend.server.server import EndpointInUse, EndpointUnusable, Server, ServerConfig
from shared.client import BackendUnavailable, Client, ProtocolMismatch
from shared.protocol import DEFAULT_ENDPOINT, ENDPOINT_ENV, Limits

EXIT_ENDPOINT_TAKEN = 1
EXIT_REFUSED = 2
MiB = 2**20


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve", help="run the backend server (models stay loaded between jobs)",
        description="Serve stylization jobs over ZeroMQ (protocol reference: docs/protocol.md). "
                    "Listens on loopback unless CurveZMQ keys are given.")
    add_endpoint_flag(parser)
    parser.add_argument("--lazy", action="store_true",
                        help="load the models at the first job instead of at start")
    parser.add_argument("--keys", nargs="?", type=Path, const=default_keys_dir(), metavar="DIR",
                        help="require CurveZMQ: DIR/server.key_secret and the client public "
                             "keys in DIR/authorized_clients/ (default DIR: "
                             f"{default_keys_dir()}); needed for a non-loopback endpoint")
    limits = Limits()
    parser.add_argument("--max-pixels", type=int, default=limits.max_pixels, metavar="N",
                        help=f"largest image accepted, in pixels (default: {limits.max_pixels})")
    parser.add_argument("--max-message-mb", type=float, default=limits.max_message_bytes / MiB,
                        metavar="MB", help="largest message accepted, in MiB; larger frames "
                        f"drop the connection (default: {limits.max_message_bytes // MiB})")
    parser.add_argument("--max-queue", type=int, default=limits.max_queue, metavar="N",
                        help=f"jobs allowed to wait (default: {limits.max_queue})")
    parser.add_argument("--max-queue-per-client", type=int, default=limits.max_queue_per_client,
                        metavar="N", help="jobs one client (one connection, or one CurveZMQ "
                        f"key) may have waiting (default: {limits.max_queue_per_client})")
    parser.add_argument("--style-cache-mb", type=float, default=DEFAULT_STYLE_CACHE_BYTES / MiB,
                        metavar="MB", help="memory for the Gram targets of styles seen before "
                        f"(default: {DEFAULT_STYLE_CACHE_BYTES // MiB})")
    parser.add_argument("--memory-limit-mb", type=float, default=None, metavar="MB",
                        help="on a CPU, plan jobs against this much memory for the server "
                             "process instead of what the system reports (free memory, "
                             "cgroup and address-space limits); default: the system's report")
    parser.add_argument("--log-level", default="info",
                        choices=("debug", "info", "warning", "error"))
    add_model_flags(parser)
    parser.set_defaults(run=run)


def add_endpoint_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--endpoint", default=os.environ.get(ENDPOINT_ENV, DEFAULT_ENDPOINT),
                        help=f"ZeroMQ endpoint (default: ${ENDPOINT_ENV} or {DEFAULT_ENDPOINT})")


def _say(message: str) -> None:
    print(f"portrait-stylize serve: {message}", file=sys.stderr)


def _report_taken(endpoint: str) -> int:
    """Explain who holds the endpoint; a server of ours there is not an error."""
    with Client(endpoint, timeout=3.0) as client:
        try:
            health = client.health()
        except ProtocolMismatch as err:
            _say(f"another version of the server already runs at {endpoint}: {err}")
            return EXIT_ENDPOINT_TAKEN
        except BackendUnavailable:
            _say(f"{endpoint} is in use by another program (or a server with CurveZMQ keys); "
                 "choose another port with --endpoint")
            return EXIT_ENDPOINT_TAKEN
    _say(f"a server already runs at {endpoint} (pid {health.get('pid')}, package "
         f"{health.get('package_version')}, device {health.get('device')}); not starting another")
    return 0


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    keys = KeyFiles(args.keys) if args.keys else None
    try:
        check_endpoint(args.endpoint, keys)
    except SecurityError as err:
        _say(str(err))
        return EXIT_REFUSED
    if args.memory_limit_mb is not None:
        if not args.memory_limit_mb > 0:
            _say(f"--memory-limit-mb must be positive, not {args.memory_limit_mb}")
            return EXIT_REFUSED
        set_memory_limit(int(args.memory_limit_mb * MiB))
    limits = Limits(max_pixels=args.max_pixels,
                    max_message_bytes=int(args.max_message_mb * MiB), max_queue=args.max_queue,
                    max_queue_per_client=args.max_queue_per_client)
    config = ServerConfig(endpoint=args.endpoint, device=args.device, lazy=args.lazy,
                          weights=weights_config(args), limits=limits, keys=keys,
                          style_cache_bytes=int(args.style_cache_mb * MiB))
    server = Server(config, model_bundle(args))
    previous = {signum: signal.signal(signum, lambda number, _: server.request_stop(
        signal.Signals(number).name)) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.serve()
    except EndpointInUse:
        return _report_taken(args.endpoint)
    except EndpointUnusable as err:
        _say(str(err))
        return EXIT_REFUSED
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0
