"""Flags and helpers that several subcommands share: device, weights, progress bar."""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

from tqdm import tqdm

from backend.engine.events import ProgressEvent
from backend.models.bundle import ModelBundle
from backend.weights import WeightsConfig


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
    group.add_argument("--allow-random-weights", action="store_true",
                       help="DEVELOPMENT ONLY: use seeded random weights for missing "
                            "checkpoints (the output is not real style transfer)")


def weights_config(args: argparse.Namespace) -> WeightsConfig:
    return WeightsConfig(vgg=args.vgg_weights, facenet=args.facenet_weights,
                         allow_random=args.allow_random_weights)


def model_bundle(args: argparse.Namespace) -> ModelBundle:
    return ModelBundle(args.device, weights_config(args))


class ProgressBar:
    """A terminal progress bar over every iteration of every scale."""

    def __init__(self, total_iterations: int) -> None:
        self.bar = tqdm(total=total_iterations, unit="it", dynamic_ncols=True)

    def __call__(self, event: ProgressEvent) -> None:
        self.bar.set_description(f"scale {event.scale_index + 1}/{event.n_scales} "
                                 f"{event.width}x{event.height}", refresh=False)
        self.bar.set_postfix(loss=f"{event.losses['total']:.4g}", refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


class InterruptCancel(threading.Event):
    """Cancel flag for the engine; Ctrl-C sets it so the job stops within one iteration."""
