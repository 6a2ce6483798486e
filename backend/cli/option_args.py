"""Command-line flags generated from :class:`shared.options.Options` (one definition).

Each option's value type supplies its flag's wiring (metavar, parser, action, choices); this
module only groups the flags and turns the types' errors into argparse's."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from shared.options import Options, OptionsError, option_specs


def _argparse_type(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """``parse`` raising argparse's error type, so argparse prints its message as it is."""
    def parse_flag(text: str) -> Any:
        try:
            return parse(text)
        except OptionsError as err:
            raise argparse.ArgumentTypeError(str(err)) from None
    return parse_flag


def add_option_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per option, named after it with dashes; every default is None so only what the
    user gave is passed on, and Options supplies the rest."""
    groups: dict[str, Any] = {}
    for spec in option_specs():
        group = groups.setdefault(spec.group, parser.add_argument_group(
            f"{spec.group} options"))
        kwargs = spec.type.cli_arguments(spec.flag, spec.help, spec.default)
        if "type" in kwargs:
            kwargs["type"] = _argparse_type(kwargs["type"])
        group.add_argument("--" + spec.flag, dest=spec.name, default=None, **kwargs)


def options_from_args(args: argparse.Namespace, base: Options | None = None) -> Options:
    """The Options the user asked for: ``base`` (or the defaults) overridden by given flags."""
    given = {spec.name: getattr(args, spec.name) for spec in option_specs()
             if getattr(args, spec.name, None) is not None}
    try:
        return (base or Options()).replace(**given)
    except OptionsError as err:
        raise argparse.ArgumentTypeError(_as_flag(str(err))) from err


def _as_flag(message: str) -> str:
    """An options error as the command line spells it: ``end_scale: …`` → ``--end-scale: …``."""
    for spec in option_specs():
        if message.startswith(f"{spec.name}: "):
            return f"--{spec.flag}: {message[len(spec.name) + 2:]}"
    return message
