"""Entry point of ``portrait-stylize``: builds the subcommands and turns errors into one line."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import warnings
from typing import NoReturn

from backend.engine.events import Cancelled, EngineError
from backend.engine.file_pixels import ImageNote
from backend.engine.images import ImageInputError
from backend.engine.output_files import OutputPathError
from backend.models.bundle import DeviceError
from backend.models.vgg import CheckpointError
from backend.weights import MissingWeights, RandomWeightsWarning, WeightsError
from shared import __version__
from shared.errors import BackendError, JobCancelled
from shared.options import OptionsError

COMMAND_MODULES = ["stylize", "demo", "weights", "serve", "remote", "keys"]

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_MISSING_WEIGHTS = 3
EXIT_CANCELLED = 130


class OneLineErrorParser(argparse.ArgumentParser):
    """Usage errors in one line naming the flag (the full usage lists every option: a
    screenful that buries the error). Subcommand parsers inherit the class."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(
        prog="portrait-stylize",
        description="Neural style transfer that keeps faces recognisable.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"backend.cli.{name}").register(subparsers)
    parser.set_defaults(commands=subparsers.choices)
    return parser


def parse(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """``argv`` parsed; a flag the subcommand does not take is reported by the subcommand's
    own parser (``portrait-stylize submit: error: unrecognized arguments: --threads 1 (see
    portrait-stylize submit --help)``), since argparse would name only the program."""
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        args.commands[args.command].error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def _say(prefix: str, message: str) -> None:
    print(f"portrait-stylize: {prefix}{message}", file=sys.stderr)


def _warning_line(message, category, filename, lineno, file=None, line=None) -> None:
    if issubclass(category, RandomWeightsWarning):
        print(f"\n*** WARNING: {message} ***\n", file=sys.stderr)
    elif issubclass(category, ImageNote):
        _say("note: ", str(message))


def main(argv: list[str] | None = None) -> int:
    warnings.simplefilter("ignore")
    warnings.simplefilter("always", RandomWeightsWarning)
    warnings.simplefilter("always", ImageNote)
    logging.getLogger("tifffile").setLevel(logging.ERROR)  # damaged files: our one line says it
    warnings.showwarning = _warning_line
    parser = build_parser()
    args = parse(parser, argv)
    try:
        return args.run(args) or 0
    except (OptionsError, ImageInputError, OutputPathError, argparse.ArgumentTypeError) as err:
        _say("error: ", str(err))
        return EXIT_USAGE
    except MissingWeights as err:
        _say("", str(err))
        return EXIT_MISSING_WEIGHTS
    except (Cancelled, KeyboardInterrupt):
        _say("", "cancelled")
        return EXIT_CANCELLED
    except JobCancelled as err:  # on the server: say why (a client, or the server stopping)
        _say("", err.message)
        return EXIT_CANCELLED
    except BackendError as err:
        _say("error: ", err.message)
        return EXIT_FAILED
    except (EngineError, WeightsError, CheckpointError, DeviceError) as err:
        _say("error: ", str(err))
        return EXIT_FAILED
    except OSError as err:  # a file or folder the commands above did not foresee
        where = f"{err.filename}: " if err.filename else ""
        _say("error: ", f"{where}{err.strerror or err}")
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
