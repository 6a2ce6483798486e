"""``portrait-stylize stylize CONTENT STYLE [STYLE ...] -o OUT``."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from backend.cli.common import InterruptCancel, ProgressBar, add_model_flags, model_bundle
from backend.cli.option_args import add_option_flags, options_from_args
from backend.engine import stylize
from backend.engine.imageio import read_image, write_image
from backend.engine.schedule import scale_ladder
from shared.options import Options


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "stylize", help="stylize an image with one or more style images",
        description="Stylize CONTENT with the STYLE image(s) and write the result to OUT.")
    add_arguments(parser)
    parser.set_defaults(run=run)


def add_arguments(parser: argparse.ArgumentParser, content_required: bool = True) -> None:
    if content_required:
        parser.add_argument("content", type=Path, help="the content image (a portrait)")
        parser.add_argument("styles", type=Path, nargs="+", metavar="style",
                            help="the style image(s)")
    parser.add_argument("-o", "--output", type=Path, default=Path("out.png"),
                        help="output file (.png, .tif, .jpg, ...; default: out.png)")
    parser.add_argument("--bits", type=int, choices=(8, 16),
                        help="bits per channel of PNG/TIFF output (default: 16 for TIFF, "
                             "8 otherwise)")
    parser.add_argument("--style-weights", type=float, nargs="+", metavar="W",
                        help="relative weight of each style image (default: equal)")
    parser.add_argument("--metadata", type=Path, metavar="JSON",
                        help="also write the result's metadata (options, timings, faces) here")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_model_flags(parser)
    add_option_flags(parser)


def total_iterations(options: Options) -> int:
    scales = scale_ladder(min(options.min_scale, options.end_scale), options.end_scale)
    return options.initial_iterations + options.iterations * (len(scales) - 1)


def run_job(args: argparse.Namespace, content, styles, options: Options) -> int:
    """Stylize with a progress bar and Ctrl-C cancellation, then write the output."""
    models = model_bundle(args)
    models.preload(options)
    cancel = InterruptCancel()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.set())
    bar = None if args.quiet else ProgressBar(total_iterations(options))
    try:
        result = stylize(content, styles, style_weights=args.style_weights, options=options,
                         on_progress=bar, cancel=cancel, models=models)
    finally:
        signal.signal(signal.SIGINT, previous)
        if bar:
            bar.close()
    write_image(args.output, result, args.bits)
    if args.metadata:
        args.metadata.write_text(json.dumps(result.metadata, indent=2) + "\n")
    random = result.metadata.get("random_weights")
    note = f" (SEEDED RANDOM WEIGHTS for {', '.join(random)}: not real art)" if random else ""
    print(f"wrote {args.output} ({result.pixels.shape[1]}x{result.pixels.shape[0]}){note}",
          file=sys.stderr)
    return 0


def run(args: argparse.Namespace) -> int:
    options = options_from_args(args)
    if args.style_weights is not None and len(args.style_weights) != len(args.styles):
        raise argparse.ArgumentTypeError(f"{len(args.styles)} style image(s) but "
                                         f"{len(args.style_weights)} --style-weights")
    content = read_image(args.content)
    styles = [read_image(path) for path in args.styles]
    return run_job(args, content, styles, options)
