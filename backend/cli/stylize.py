"""``portrait-stylize stylize CONTENT STYLE [STYLE ...] -o OUT``: a job in this process."""

from __future__ import annotations

import argparse

from backend.cli.common import add_model_flags
from backend.cli.job import InProcess, add_job_arguments, run_job


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "stylize", help="stylize an image with one or more style images",
        description="Stylize CONTENT with the STYLE image(s) and write the result to OUT.")
    add_job_arguments(parser)
    add_model_flags(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    return run_job(args, InProcess(args))
