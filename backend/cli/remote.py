"""``portrait-stylize submit|status|stop``: a command-line client of a running server."""

from __future__ import annotations

import argparse
import json
import sys

from backend.cli.job import (
    ThroughServer,
    add_connection_flags,
    add_job_arguments,
    run_job,
    server_client,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    submit = subparsers.add_parser(
        "submit", help="send a job to a running server and wait for the result",
        description="Stylize CONTENT with the STYLE image(s) on a running server "
                    "(see `portrait-stylize serve`) and write the result to OUT.")
    add_job_arguments(submit)
    submit.add_argument("--start", action="store_true",
                        help="start a server with this Python if none answers")
    add_connection_flags(submit)
    submit.set_defaults(run=run_submit)

    status = subparsers.add_parser("status", help="show a running server's state")
    add_connection_flags(status)
    status.add_argument("--json", action="store_true", help="print the raw health reply")
    status.set_defaults(run=run_status)

    stop = subparsers.add_parser("stop", help="stop a running server (cancels its jobs)")
    add_connection_flags(stop)
    stop.set_defaults(run=run_stop)


def run_submit(args: argparse.Namespace) -> int:
    return run_job(args, ThroughServer(args))


def run_status(args: argparse.Namespace) -> int:
    with server_client(args) as client:
        health = client.health()
    if args.json:
        print(json.dumps(health, indent=2))
        return 0
    models = ", ".join(health["models_loaded"]) or ("loading..." if health["loading"]
                                                     else "none yet")
    print(f"server at {args.endpoint}: package {health['package_version']}, protocol "
          f"{health['protocol']}, pid {health['pid']}, device {health['device']}\n"
          f"models loaded: {models}\n"
          f"jobs: {health.get('jobs_running', 0)} running, {health['queue_length']} waiting")
    if health.get("load_error"):
        print(f"model loading failed: {health['load_error']}")
    return 0


def run_stop(args: argparse.Namespace) -> int:
    with server_client(args) as client:
        client.shutdown()
    print(f"the server at {args.endpoint} is stopping", file=sys.stderr)
    return 0
