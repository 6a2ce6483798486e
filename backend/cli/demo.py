"""``portrait-stylize demo``: stylize a portrait with a style image that the install provides."""

from __future__ import annotations

import argparse
from pathlib import Path

from backend.cli.option_args import options_from_args
from backend.cli.stylize import add_arguments, run_job

# Images shipped inside the scikit-image wheel: no download needed.
DEMO_STYLES = ("hubble_deep_field", "immunohistochemistry", "coffee", "gravel", "brick")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo", help="stylize a sample portrait (scikit-image's astronaut)",
        description="Stylize scikit-image's astronaut portrait with a sample style image "
                    "and write demo-out.png. Accepts every option of 'stylize'.")
    parser.add_argument("--style", choices=DEMO_STYLES, default=DEMO_STYLES[0],
                        help=f"sample style image from scikit-image (default: {DEMO_STYLES[0]})")
    add_arguments(parser, content_required=False)
    parser.set_defaults(run=run, output=Path("demo-out.png"))


def run(args: argparse.Namespace) -> int:
    from PIL import Image
    from skimage import data

    content = Image.fromarray(data.astronaut())
    style = Image.fromarray(getattr(data, args.style)()).convert("RGB")
    args.styles = [style]
    return run_job(args, content, [style], options_from_args(args))
