"""``portrait-stylize weights list|fetch|verify``."""

from __future__ import annotations

import argparse
import sys

from backend.weights import REGISTRY, ChecksumMismatch, WeightsError
from backend.weights.download import fetch, verify
from backend.weights.registry import cached_path, missing_message, spec


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("weights", help="list, fetch or verify model weights",
                                   description="Manage the downloadable model checkpoints.")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="show each checkpoint, its source and status")
    listing.set_defaults(run=run_list)
    fetching = actions.add_parser("fetch", help="download (resuming) and verify checkpoints")
    fetching.add_argument("names", nargs="*", metavar="NAME",
                          help=f"which ({', '.join(REGISTRY)}; default: all)")
    fetching.add_argument("--url", help="download from this URL instead (a mirror)")
    fetching.set_defaults(run=run_fetch)
    verifying = actions.add_parser("verify", help="check size and SHA-256 of cached files")
    verifying.add_argument("names", nargs="*", metavar="NAME")
    verifying.set_defaults(run=run_verify)


def _status(name: str) -> str:
    path = cached_path(name)
    if not path.is_file():
        partial = path.with_name(path.name + ".part")
        return f"partial ({partial.stat().st_size} bytes)" if partial.exists() else "missing"
    return "present"


def run_list(args: argparse.Namespace) -> int:
    for name, entry in REGISTRY.items():
        print(f"{name}: {_status(name)}\n  file: {cached_path(name)}\n  source: {entry.url}\n"
              f"  size: {entry.size} bytes, sha256 {entry.sha256}\n  licence: {entry.licence}\n"
              f"  used for: {entry.purpose}")
    return 0


def _names(args: argparse.Namespace) -> list[str]:
    for name in args.names:
        spec(name)  # an unknown name fails here, with the known ones listed
    return args.names or list(REGISTRY)


def run_fetch(args: argparse.Namespace) -> int:
    names = _names(args)
    if args.url and len(names) != 1:
        raise argparse.ArgumentTypeError("--url needs exactly one weights name")
    failed = []
    for name in names:
        try:
            path = fetch(spec(name), cached_path(name), url=args.url)
            print(f"{name}: ok ({path})")
        except WeightsError as err:
            failed.append(name)
            print(f"{name}: FAILED: {err}", file=sys.stderr)
    return 1 if failed else 0


def run_verify(args: argparse.Namespace) -> int:
    bad = 0
    for name in _names(args):
        path = cached_path(name)
        if not path.is_file():
            print(f"{name}: {missing_message(name, [path])}", file=sys.stderr)
            bad += 1
            continue
        try:
            verify(spec(name), path)
            print(f"{name}: ok ({path})")
        except ChecksumMismatch as err:
            print(f"{name}: BAD: {err}", file=sys.stderr)
            bad += 1
    return 1 if bad else 0
