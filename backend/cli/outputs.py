"""The files a stylization command writes (``-o``, ``--metadata``): checked before any work,
written atomically at the end, and saved in the cache folder when that fails (see
:mod:`backend.engine.output_files`)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from backend.engine import output_files
from backend.engine.events import Result
from backend.engine.imageio import write_image
from backend.engine.output_files import ResultSavedElsewhere


def check_outputs(args: argparse.Namespace) -> None:
    """Check ``-o``/``--bits`` and ``--metadata`` before any work (folders made with
    ``--mkdir``). Raises :class:`~backend.engine.output_files.OutputPathError`."""
    output_files.check_image_path(args.output, args.bits, make_folder=args.mkdir)
    if args.metadata:
        output_files.check_writable(args.metadata, make_folder=args.mkdir)


def note_losses(args: argparse.Namespace, content) -> None:
    """Say once what of ``content`` (as ``read_image`` returns it) the output cannot carry."""
    output_files.note_what_the_output_drops(args.output, args.bits, content)


def _write_metadata(path: Path, metadata: dict) -> None:
    with output_files.atomic_file(path) as temporary:
        temporary.write_text(json.dumps(metadata, indent=2) + "\n")


def save_outputs(args: argparse.Namespace, result: Result) -> None:
    """Write the image and the metadata, each atomically. Raises
    :class:`~backend.engine.output_files.ResultSavedElsewhere` (after trying both) naming where
    whatever could not be written was saved instead."""
    writes = [(args.output, lambda path: write_image(path, result, args.bits))]
    if args.metadata:
        writes.append((args.metadata, lambda path: _write_metadata(path, result.metadata)))
    elsewhere = []
    for path, write in writes:
        try:
            output_files.save_with_fallback(path, write)
        except ResultSavedElsewhere as err:
            elsewhere.append(err)
    if elsewhere:
        raise ResultSavedElsewhere("; ".join(str(err) for err in elsewhere),
                                   elsewhere[0].fallback)
