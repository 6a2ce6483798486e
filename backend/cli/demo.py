"""``portrait-stylize demo``: stylize a portrait with a style image that the install provides."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from backend.cli.common import add_model_flags
from backend.cli.job import InProcess, JobRequest, add_job_arguments, run_job
from backend.cli.option_args import options_from_args
from backend.models.bundle import pick_device
from shared.job_time import CPU_FIRST_RUN

# Images shipped inside the scikit-image wheel: no download needed.
DEMO_STYLES = ("hubble_deep_field", "immunohistochemistry", "coffee", "gravel", "brick")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo", help="stylize a sample portrait (scikit-image's astronaut)",
        description="Stylize scikit-image's astronaut portrait with a sample style image "
                    "and write demo-out.png. Accepts every option of 'stylize'.")
    parser.add_argument("--style", choices=DEMO_STYLES, default=DEMO_STYLES[0],
                        help=f"sample style image from scikit-image (default: {DEMO_STYLES[0]})")
    add_job_arguments(parser, content_required=False)
    add_model_flags(parser)
    parser.set_defaults(run=run, output=Path("demo-out.png"))


def run(args: argparse.Namespace) -> int:
    from PIL import Image
    from skimage import data

    content = Image.fromarray(data.astronaut())
    style = Image.fromarray(getattr(data, args.style)()).convert("RGB")
    options = options_from_args(args)
    if pick_device(args.device).type == "cpu":
        # Crowson's defaults take hours on a laptop CPU: a short ladder instead, unless the
        # user sets these flags (the GIMP plug-in's first run uses the same).
        preset = {k: v for k, v in CPU_FIRST_RUN.items() if getattr(args, k) is None}
        options = options.replace(**preset)
        if preset:
            print("Running on the CPU: using a short demo ladder ("
                  + ", ".join(f"{k.replace('_', '-')} {v}" for k, v in preset.items())
                  + "); a GPU runs the full defaults.", file=sys.stderr)
    return run_job(args, InProcess(args),
                   JobRequest(content, [style], args.style_weights, options))
