"""Flags and helpers that several subcommands share: device, weights, the progress bar."""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from tqdm import tqdm

from backend.models.bundle import ModelBundle
from backend.threads import AUTO, ThreadPolicy, ThreadsError, parse_threads
from backend.weights import WeightsConfig
from shared.job_time import TimeLeft, duration_text
from shared.messages import Done, JobEvent, Progress, Queued
from shared.schedule import ScaleStep


def add_model_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("device and weights")
    group.add_argument("--device", default="auto",
                       help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N or mps "
                            "(default: auto)")
    group.add_argument("--vgg-weights", type=Path, metavar="PATH",
                       help="a torchvision-format VGG-19 checkpoint you already have "
                            "(e.g. vgg19-dcbb9e9d.pth)")
    group.add_argument("--facenet-weights", type=Path, metavar="PATH",
                       help="a facenet-pytorch VGGFace2 state dict you already have "
                            "(20180402-114759-vggface2.pt)")
    group.add_argument("--threads", type=_threads, default=AUTO, metavar="N|auto",
                       help="CPU threads to compute with: a number, or auto (the cores other "
                            "processes leave free, re-measured every second or so; "
                            "docs/engine.md, Threads) (default: auto)")
    group.add_argument("--allow-random-weights", action="store_true",
                       help="DEVELOPMENT ONLY: use seeded random weights for missing "
                            "checkpoints (the output is not real style transfer)")


def _threads(text: str) -> int | str:
    try:
        return parse_threads(text)
    except ThreadsError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def weights_config(args: argparse.Namespace) -> WeightsConfig:
    return WeightsConfig(vgg=args.vgg_weights, facenet=args.facenet_weights,
                         allow_random=args.allow_random_weights)


def model_bundle(args: argparse.Namespace) -> ModelBundle:
    return ModelBundle(args.device, weights_config(args), ThreadPolicy(args.threads))


class ProgressBar:
    """A terminal progress bar over every iteration of every scale, fed the typed events of a
    job (:mod:`shared.messages`) by either back end: ``Queued`` shows the position, ``Progress``
    the scale, size and total loss, ``Done`` fills the bar."""

    def __init__(self, total_iterations: int, plan: Sequence[ScaleStep] | None = None,
                 prior: float | None = None) -> None:
        """With the job's ``plan`` the time left follows its megapixel-iterations
        (:class:`shared.job_time.TimeLeft`, ``prior`` seconds per megapixel-iteration until
        iterations are timed) instead of tqdm's count of iterations, which a ladder's small
        first scales make far too hopeful."""
        self.time_left = TimeLeft(plan, prior) if plan else None
        form = ("{desc}{percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}{postfix}]"
                if self.time_left else None)
        self.bar = tqdm(total=total_iterations, unit="it", dynamic_ncols=True, bar_format=form)
        self._scale_iterations: dict[int, int] = {}  # iterations of each scale seen so far

    def show(self, event: JobEvent) -> None:
        if isinstance(event, Queued):
            self.bar.set_description(f"queued (position {event.position})")
        elif isinstance(event, Progress):
            self._scale_iterations[event.scale_index] = event.iterations
            done = event.iteration + sum(count for scale, count in self._scale_iterations.items()
                                         if scale < event.scale_index)
            self.bar.set_description(event.scale_label(), refresh=False)
            postfix = {}
            if event.losses.get("total") is not None:
                postfix["loss"] = f"{event.losses['total']:.4g}"
            left = self.time_left.update(event.scale_index, event.iteration) \
                if self.time_left else None
            if left:  # unknown before a rate, and nothing left once the last is in
                postfix["left"] = duration_text(left)
            if postfix:
                self.bar.set_postfix(postfix, refresh=False)
            self.bar.update(done - self.bar.n)
        elif isinstance(event, Done):
            self.bar.update(self.bar.total - self.bar.n)

    def note(self, text: str) -> None:
        """``text`` as a line of its own above the bar (on stderr, as the bar)."""
        self.bar.write(text, file=sys.stderr)

    def close(self) -> None:
        self.bar.close()


class InterruptCancel(threading.Event):
    """Cancel flag for the engine; Ctrl-C sets it so the job stops within one iteration."""
