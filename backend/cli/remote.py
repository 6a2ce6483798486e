"""``portrait-stylize submit|status|stop``: a command-line client of a running server."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from backend.cli.option_args import add_option_flags, options_from_args
from backend.cli.serve import add_endpoint_flag
from backend.cli.stylize import total_iterations
from backend.engine.events import Result
from backend.engine.imageio import read_image, write_image
from backend.server.images import image_data_from_source, image_data_to_float
from backend.server.security import KeyFiles
from shared.client import BackendError, Client, ImageData, Job, JobCancelled
from shared.messages import Done, Progress, Queued

EXIT_FAILED = 1
EXIT_CANCELLED = 130


def _add_connection_flags(parser: argparse.ArgumentParser) -> None:
    add_endpoint_flag(parser)
    parser.add_argument("--timeout", type=float, default=10.0, metavar="S",
                        help="seconds to wait for each reply (default: 10)")
    parser.add_argument("--keys", type=Path, metavar="DIR",
                        help="CurveZMQ: use DIR/server.key and DIR/client.key_secret (as made "
                             "by `portrait-stylize keys generate`)")


def register(subparsers: argparse._SubParsersAction) -> None:
    submit = subparsers.add_parser(
        "submit", help="send a job to a running server and wait for the result",
        description="Stylize CONTENT with the STYLE image(s) on a running server "
                    "(see `portrait-stylize serve`) and write the result to OUT.")
    submit.add_argument("content", type=Path, help="the content image")
    submit.add_argument("styles", type=Path, nargs="+", metavar="style", help="style image(s)")
    submit.add_argument("-o", "--output", type=Path, default=Path("out.png"),
                        help="output file (default: out.png)")
    submit.add_argument("--bits", type=int, choices=(8, 16),
                        help="bits per channel of the output (default: 16 for TIFF, else 8)")
    submit.add_argument("--style-weights", type=float, nargs="+", metavar="W",
                        help="relative weight of each style image (default: equal)")
    submit.add_argument("--metadata", type=Path, metavar="JSON",
                        help="also write the result's metadata here")
    submit.add_argument("--start", action="store_true",
                        help="start a server with this Python if none answers")
    submit.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    _add_connection_flags(submit)
    add_option_flags(submit)
    submit.set_defaults(run=run_submit)

    status = subparsers.add_parser("status", help="show a running server's state")
    _add_connection_flags(status)
    status.add_argument("--json", action="store_true", help="print the raw health reply")
    status.set_defaults(run=run_status)

    stop = subparsers.add_parser("stop", help="stop a running server (cancels its jobs)")
    _add_connection_flags(stop)
    stop.set_defaults(run=run_stop)


def _client(args: argparse.Namespace) -> Client:
    keys = KeyFiles(args.keys) if args.keys else None
    return Client(args.endpoint, timeout=args.timeout,
                  server_public_key=keys.server_public if keys else None,
                  client_secret_key_file=keys.client_secret if keys else None)


def _fail(command: str, err: BackendError) -> int:
    print(f"portrait-stylize {command}: {err.message}", file=sys.stderr)
    return EXIT_FAILED


def _follow(job: Job, total: int, quiet: bool) -> tuple[ImageData, dict[str, Any]]:
    """Show the job's progress until it ends; return its image and metadata."""
    bar = None if quiet else tqdm(total=total, unit="it", dynamic_ncols=True)
    try:
        for event in job.events():
            if bar is None:
                pass
            elif isinstance(event, Queued):
                bar.set_description(f"queued (position {event.position})")
            elif isinstance(event, Progress):
                bar.set_description(f"scale {event.scale_index + 1}/{event.n_scales} "
                                    f"{event.width}x{event.height}", refresh=False)
                total_loss = event.losses.get("total")
                if total_loss is not None:
                    bar.set_postfix(loss=f"{total_loss:.4g}", refresh=False)
                bar.update(round(event.fraction * total) - bar.n)
            elif isinstance(event, Done):
                bar.update(total - bar.n)
        return job.result()
    finally:
        if bar is not None:
            bar.close()


def run_submit(args: argparse.Namespace) -> int:
    options = options_from_args(args)
    if args.style_weights is not None and len(args.style_weights) != len(args.styles):
        raise argparse.ArgumentTypeError(f"{len(args.styles)} style image(s) but "
                                         f"{len(args.style_weights)} --style-weights")
    content = image_data_from_source(read_image(args.content))
    styles = [image_data_from_source(read_image(path)) for path in args.styles]
    with _client(args) as client:
        try:
            if args.start:
                client.ensure_running(sys.executable)
            job = client.submit(content, styles, args.style_weights, options)
        except BackendError as err:
            return _fail("submit", err)
        try:
            try:
                image, metadata = _follow(job, total_iterations(options), args.quiet)
            except KeyboardInterrupt:  # Ctrl-C: cancel on the server, wait for it to stop
                job.cancel()
                image, metadata = _follow(job, 0, quiet=True)
        except JobCancelled as err:
            _fail("submit", err)
            return EXIT_CANCELLED
        except BackendError as err:
            return _fail("submit", err)
    result = Result(image_data_to_float(image), metadata)
    write_image(args.output, result, args.bits)
    if args.metadata:
        args.metadata.write_text(json.dumps(result.metadata, indent=2) + "\n")
    print(f"wrote {args.output} ({result.pixels.shape[1]}x{result.pixels.shape[0]}, job "
          f"{job.id})", file=sys.stderr)
    return 0


def run_status(args: argparse.Namespace) -> int:
    with _client(args) as client:
        try:
            health = client.health()
        except BackendError as err:
            return _fail("status", err)
    if args.json:
        print(json.dumps(health, indent=2))
        return 0
    models = ", ".join(health["models_loaded"]) or ("loading..." if health["loading"]
                                                     else "none yet")
    print(f"server at {args.endpoint}: package {health['package_version']}, protocol "
          f"{health['protocol']}, pid {health['pid']}, device {health['device']}\n"
          f"models loaded: {models}\n"
          f"running job: {health['running_job'] or 'none'}; waiting: {health['queue_length']}")
    if health.get("load_error"):
        print(f"model loading failed: {health['load_error']}")
    return 0


def run_stop(args: argparse.Namespace) -> int:
    with _client(args) as client:
        try:
            client.shutdown()
        except BackendError as err:
            return _fail("stop", err)
    print(f"the server at {args.endpoint} is stopping", file=sys.stderr)
    return 0
