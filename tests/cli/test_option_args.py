"""Command-line flags generated from the options (backend/cli/option_args.py): each option
type wires its own flag, and what the flag reads back is the option's value."""

from __future__ import annotations

import argparse

import pytest

from backend.cli.option_args import add_option_flags, options_from_args
from shared.options import Options, OptionSpec, option_specs

SPECS = {spec.name: spec for spec in option_specs()}


LIST_TEXTS = {"ints": "2,7", "colour": "1,2,3", "boxes": "1,2,3,4.5; 0,0,1,1"}


def other_value(spec: OptionSpec) -> object:
    """A value of the option other than its default."""
    kind = spec.type
    if kind.widget == "bool":
        return not spec.default
    if kind.choices:
        return kind.choices[-1]
    if kind.maximum is not None:
        return kind.coerce(kind.maximum)
    return kind.coerce(kind.parse(LIST_TEXTS[kind.tag]))


def parser() -> argparse.ArgumentParser:
    built = argparse.ArgumentParser(exit_on_error=False)
    add_option_flags(built)
    return built


@pytest.mark.parametrize("name", sorted(SPECS))
def test_each_option_reads_back_from_its_flag_written_in_its_text_form(name: str) -> None:
    spec = SPECS[name]
    changed = other_value(spec)
    assert changed != spec.default
    argv = [f"--{spec.flag}"] + ([] if spec.type.widget == "bool"
                                 else [spec.type.format(changed)])
    assert getattr(options_from_args(parser().parse_args(argv)), name) == changed


def test_no_flag_given_leaves_the_base_options() -> None:
    base = Options(iterations=7)
    assert options_from_args(parser().parse_args([]), base) == base


def test_repeated_face_boxes_add_up() -> None:
    args = parser().parse_args(["--face-box", "1,2,3,4", "--face-box", "5,6,7,8"])
    assert options_from_args(args).face_boxes == ((1.0, 2.0, 3.0, 4.0), (5.0, 6.0, 7.0, 8.0))


def test_a_colour_flag_takes_hex() -> None:
    args = parser().parse_args(["--background-colour", "#0a141e"])
    assert options_from_args(args).background_colour == (10, 20, 30)


def test_an_unreadable_value_is_argparse_error_with_the_types_message() -> None:
    with pytest.raises(argparse.ArgumentError, match="expected a number, got 'abc'"):
        parser().parse_args(["--content-weight", "abc"])


@pytest.mark.parametrize("text", ["full", "FULL", "0"])
def test_end_scale_full_or_0_is_the_contents_own_size(text: str) -> None:
    assert options_from_args(parser().parse_args(["--end-scale", text])).end_scale == 0


def test_an_end_scale_that_is_neither_a_number_nor_full_says_both() -> None:
    with pytest.raises(argparse.ArgumentError, match="expected a whole number or full, got "
                                                     "'whole'"):
        parser().parse_args(["--end-scale", "whole"])
