"""One stylization command, two back ends: the flags, the request, the run and the output of
``stylize``, ``demo`` (in this process) and ``submit`` (through a running server).

A command reads its :class:`JobRequest` from the flags, hands it to a back end
(:class:`InProcess` or :class:`ThroughServer`) that reports typed progress events
(:mod:`shared.messages`) to the one :class:`~backend.cli.common.ProgressBar`, and writes what
comes back with :func:`write_outputs`. Failures are exceptions that ``main`` turns into one line
and an exit code.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image

from backend.cli.common import InterruptCancel, ProgressBar, model_bundle
from backend.cli.job_plan import plan_text
from backend.cli.option_args import add_option_flags, options_from_args
from backend.cli.outputs import (
    PreviewFile,
    add_output_flags,
    check_outputs,
    note_losses,
    preview_interval,
    save_outputs,
)
from backend.cli.serve import add_endpoint_flag
from backend.engine import ProgressEvent, Result, model_needs, stylize
from backend.engine.events import Cancelled
from backend.engine.imageio import read_image
from backend.engine.sizes import check_sizes
from backend.models.bundle import pick_device
from backend.server.images import (
    image_data_from_source,
    image_data_to_array,
    image_data_to_float,
)
from backend.server.security import KeyFiles
from backend.threads import AUTO, ThreadPolicy
from shared.client import Client, ImageData, Job
from shared.errors import JobCancelled
from shared.job_time import seconds_per_megapixel
from shared.messages import Preview, Progress
from shared.options import Options
from shared.schedule import scale_plan

SourceImage = Image.Image | np.ndarray  # as read_image returns it


def add_job_arguments(parser: argparse.ArgumentParser, content_required: bool = True) -> None:
    """The flags of every stylization command: images, output, style weights, metadata, quiet
    and the engine options."""
    if content_required:
        parser.add_argument("content", type=Path, help="the content image (a portrait)")
        parser.add_argument("styles", type=Path, nargs="+", metavar="style",
                            help="the style image(s)")
    add_output_flags(parser)
    parser.add_argument("--style-weights", type=float, nargs="+", metavar="W",
                        help="relative weight of each style image (default: equal)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_option_flags(parser)


@dataclass
class JobRequest:
    """What to stylize: the content and 1+ style images (PIL images, or uint16 ``(H, W, C)``
    arrays from 16-bit files), a relative weight per style (None: equal) and the options.
    Raises :class:`argparse.ArgumentTypeError` when the weights do not match the styles."""

    content: SourceImage
    styles: Sequence[SourceImage]
    style_weights: Sequence[float] | None
    options: Options

    def __post_init__(self) -> None:
        if self.style_weights is not None and len(self.style_weights) != len(self.styles):
            raise argparse.ArgumentTypeError(f"{len(self.styles)} style image(s) but "
                                             f"{len(self.style_weights)} --style-weights")


def request_from_args(args: argparse.Namespace) -> JobRequest:
    """The request the flags describe, images read from their files. Raises
    :class:`~backend.engine.images.ImageInputError` for an unreadable image."""
    options = options_from_args(args)
    return JobRequest(read_image(args.content), [read_image(path) for path in args.styles],
                      args.style_weights, options)


def source_size(image: SourceImage) -> tuple[int, int]:
    """``(w, h)`` of an image as ``read_image`` returns it."""
    return image.size if isinstance(image, Image.Image) else tuple(image.shape[1::-1])


def total_iterations(options: Options, content: SourceImage) -> int:
    """Iterations of the whole job on ``content``: the first scale's and every later
    scale's, as its preset sets them (an early stop may end a scale sooner)."""
    return sum(step.iterations for step in scale_plan(options, source_size(content)))


class Backend(Protocol):
    """Runs a request to its result, reporting progress to ``bar`` (None: quiet). Returns the
    result and a note for the closing line (e.g. the server's job id)."""

    def run(self, request: JobRequest, bar: ProgressBar | None) -> tuple[Result, str]: ...


class InProcess:
    """The engine in this process, with the models the flags name; Ctrl-C stops the job
    within one iteration (the engine then raises ``Cancelled``)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args

    def run(self, request: JobRequest, bar: ProgressBar | None) -> tuple[Result, str]:
        models = model_bundle(self.args)
        models.preload(model_needs(request.options))
        cancel = InterruptCancel()
        previews = PreviewFile(self.args.preview)
        previous = signal.signal(signal.SIGINT, lambda *_: cancel.set())

        def on_progress(event: ProgressEvent) -> None:
            if bar is not None:
                bar.show(Progress.of("in-process", event))
            if event.preview is not None:
                previews.save(event.preview)
        try:
            result = stylize(request.content, request.styles, request.style_weights,
                             request.options, on_progress=on_progress, cancel=cancel,
                             models=models, preview_interval=preview_interval(self.args))
        finally:
            signal.signal(signal.SIGINT, previous)
        return result, ""


def add_connection_flags(parser: argparse.ArgumentParser) -> None:
    """How to reach a running server: ``--endpoint``, ``--timeout``, ``--keys``."""
    add_endpoint_flag(parser)
    parser.add_argument("--timeout", type=float, default=10.0, metavar="S",
                        help="seconds to wait for each reply (default: 10)")
    parser.add_argument("--keys", type=Path, metavar="DIR",
                        help="CurveZMQ: use DIR/server.key and DIR/client.key_secret (as made "
                             "by `portrait-stylize keys generate`)")


def server_client(args: argparse.Namespace) -> Client:
    """A client of the server that the connection flags name."""
    keys = KeyFiles(args.keys) if args.keys else None
    return Client(args.endpoint, timeout=args.timeout,
                  server_public_key=keys.server_public if keys else None,
                  client_secret_key_file=keys.client_secret if keys else None)


class ThroughServer:
    """A running server (started with this Python first when ``--start`` and none answers);
    Ctrl-C cancels the job there and waits for it to stop (``Cancelled`` follows, as in this
    process; a result that finished first is delivered)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args

    def run(self, request: JobRequest, bar: ProgressBar | None) -> tuple[Result, str]:
        content = image_data_from_source(request.content)
        styles = [image_data_from_source(style) for style in request.styles]
        with server_client(self.args) as client:
            if self.args.start:
                client.ensure_running(sys.executable)
            job = client.submit(content, styles, request.style_weights,
                                request.options, preview_interval(self.args))
            submitted = f"portrait-stylize: submitted job {job.id} to {client.endpoint}"
            if bar is not None:
                bar.note(submitted)
            else:
                print(submitted, file=sys.stderr, flush=True)
            try:
                image, metadata = _follow(job, bar, PreviewFile(self.args.preview))
            except KeyboardInterrupt:
                job.cancel()
                try:  # a result that finished first is kept
                    image, metadata = _follow(job, None, PreviewFile(None))
                except JobCancelled:  # this user's own Ctrl-C: said as in this process
                    raise Cancelled("cancelled with Ctrl-C") from None
        return Result(image_data_to_float(image), metadata), f", job {job.id}"


def _follow(job: Job, bar: ProgressBar | None,
            previews: PreviewFile) -> tuple[ImageData, dict[str, Any]]:
    for event in job.events():
        if bar is not None:
            bar.show(event)
        if isinstance(event, Preview):
            previews.save(Image.fromarray(image_data_to_array(event.image), "RGB"))
    return job.result()


def smaller_note(result_size: tuple[int, int], content_size: tuple[int, int]) -> str:
    """What the closing line adds when the result (written at the size it was computed at) is
    smaller than the content: the content's size and how to compute at it; else ""."""
    if max(result_size) >= max(content_size):
        return ""
    return (f"; computed at {max(result_size)} px, smaller than the {content_size[0]}x"
            f"{content_size[1]} content: --end-scale full computes at its own size")


def faces_note(metadata: dict[str, Any]) -> str:
    """What the closing line says of the face terms (metadata ``faces``, docs/faces.md): how
    many faces they held at the last scale and how many the fidelity report flags for
    texture, or that none was found; "" when the terms are off."""
    faces = metadata.get("faces") or {}
    scales = (faces.get("terms") or {}).get("scales")
    if not scales:
        return ""
    count = len(scales[-1]["faces"])
    if not count:
        return "; no face found: face terms off"
    flagged = sum(bool(face.get("texture_exceeds")) for face in faces.get("fidelity", []))
    text = f"; face terms on {count} face{'s' if count > 1 else ''}"
    return text + (f", {flagged} with more fine texture than the photo" if flagged else "")


def write_outputs(args: argparse.Namespace, result: Result, note: str = "",
                  content_size: tuple[int, int] | None = None) -> None:
    """Write the image (``--output``, ``--bits``) and the metadata (``--metadata``), then say
    so in one line (which names any seeded random weights the result was made with, says what
    the face terms held (:func:`faces_note`) and when the result is smaller than the content
    of ``content_size`` ``(w, h)``). What cannot
    be written is saved in the cache folder instead (``ResultSavedElsewhere`` says where)."""
    save_outputs(args, result)
    random = result.metadata.get("random_weights")
    warning = f" (SEEDED RANDOM WEIGHTS for {', '.join(random)}: not real art)" if random else ""
    size = (result.pixels.shape[1], result.pixels.shape[0])
    smaller = smaller_note(size, content_size) if content_size else ""
    faces = faces_note(result.metadata)
    print(f"wrote {args.output} ({size[0]}x{size[1]}{note}{faces}{smaller}){warning}",
          file=sys.stderr)


def run_job(args: argparse.Namespace, backend: Backend, request: JobRequest | None = None
            ) -> int:
    """Run ``request`` (default: the one the flags describe) on ``backend`` with a progress bar
    unless ``--quiet``, then write the outputs. The output paths are checked first, before
    any image is read or model loaded. Returns the exit status 0."""
    check_outputs(args)
    request = request or request_from_args(args)
    # Sizes no scale can work with are refused now, before any model loads.
    check_sizes(source_size(request.content), [source_size(s) for s in request.styles],
                request.options)
    note_losses(args, request.content)
    bar = None
    if not args.quiet:
        content_size = source_size(request.content)
        plan, prior = scale_plan(request.options, content_size), None
        if isinstance(backend, InProcess):  # a server's device is its own
            device = pick_device(args.device)
            prior = seconds_per_megapixel(device.type)
            threads = ThreadPolicy(getattr(args, "threads", AUTO)).apply(fresh=True)
            line = plan_text(request.options, content_size,
                             [source_size(s) for s in request.styles], device, threads)
            if line:
                print(line, file=sys.stderr)
        bar = ProgressBar(total_iterations(request.options, request.content), plan, prior)
    try:
        result, note = backend.run(request, bar)
    finally:
        if bar is not None:
            bar.close()
    write_outputs(args, result, note, source_size(request.content))
    return 0
