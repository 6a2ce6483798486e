"""The files a stylization command writes (``-o``, ``--metadata``): checked before any work,
written atomically at the end, and saved in the cache folder when that fails (see
:mod:`backend.engine.output_files`)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from PIL import Image

from backend.engine import output_files
from backend.engine.events import Result
from backend.engine.file_pixels import note
from backend.engine.imageio import write_image
from backend.engine.output_files import IMAGE_SUFFIXES, ResultSavedElsewhere


def add_output_flags(parser: argparse.ArgumentParser) -> None:
    """``-o``, ``--bits``, ``--metadata``, ``--preview``, ``--preview-every`` and ``--mkdir``."""
    parser.add_argument("-o", "--output", type=Path, default=Path("out.png"),
                        help="output file (.png, .tif, .jpg, .webp, .bmp; default: out.png)")
    parser.add_argument("--bits", type=int, choices=(8, 16),
                        help="bits per channel of PNG/TIFF output (default: 16 for TIFF, "
                             "8 otherwise)")
    parser.add_argument("--metadata", type=Path, metavar="JSON",
                        help="also write the result's metadata (options, timings, faces) here")
    parser.add_argument("--preview", type=Path, metavar="IMAGE",
                        help="while the job runs, keep the latest preview (long side <= 512) "
                             "in this 8-bit image file")
    parser.add_argument("--preview-every", type=int, default=10, metavar="N",
                        help="iterations between previews (default: 10)")
    parser.add_argument("--mkdir", action="store_true",
                        help="create the folders of --output, --metadata and --preview if "
                             "missing")


def check_outputs(args: argparse.Namespace) -> None:
    """Check ``-o``/``--bits``, ``--metadata`` and ``--preview`` before any work (folders made
    with ``--mkdir``). Raises :class:`~backend.engine.output_files.OutputPathError`."""
    output_files.check_image_path(args.output, args.bits, make_folder=args.mkdir)
    if args.metadata:
        output_files.check_writable(args.metadata, make_folder=args.mkdir)
    if args.preview:
        output_files.check_image_path(args.preview, 8, make_folder=args.mkdir)
        if args.preview_every < 1:
            raise argparse.ArgumentTypeError(f"--preview-every must be 1 or more, not "
                                             f"{args.preview_every}")


def preview_interval(args: argparse.Namespace) -> int:
    """Iterations between previews the job should send (0: none asked for)."""
    return args.preview_every if args.preview else 0


class PreviewFile:
    """The ``--preview`` file (or None), replaced atomically by each new preview so a viewer
    watching it never reads half an image. A write that fails is said once and previews stop:
    the job goes on (a preview is never worth the result)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    def save(self, preview: Image.Image) -> None:
        """Write ``preview`` (8-bit RGB) to the file, if there is one and it can be written."""
        if self.path is None:
            return
        try:
            with output_files.atomic_file(self.path) as temporary:
                preview.save(temporary, format=IMAGE_SUFFIXES[self.path.suffix.lower()].upper())
        except OSError as err:
            note(f"{self.path}: cannot write the preview ({err.strerror or err}); the job goes "
                 f"on without previews")
            self.path = None


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
