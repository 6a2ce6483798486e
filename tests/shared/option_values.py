"""Hypothesis strategies for the canonical values of each option type (shared by the option
tests of the codecs, the CLI and the GIMP arguments)."""

from __future__ import annotations

from hypothesis import strategies as st

from shared.option_types import (
    Boxes,
    Choice,
    Colour,
    Flag,
    Indices,
    OptionalWhole,
    OptionType,
    Real,
    Whole,
)

FINITE = st.floats(allow_nan=False, allow_infinity=False)


def values_of(kind: OptionType) -> st.SearchStrategy:
    """Canonical values of an option type."""
    if isinstance(kind, OptionalWhole):
        return st.none() | st.integers(int(kind.minimum), int(kind.maximum))
    if isinstance(kind, Whole):
        return st.integers(int(kind.minimum), int(kind.maximum))
    if isinstance(kind, Real):
        return st.floats(kind.minimum, kind.maximum)
    if isinstance(kind, Flag):
        return st.booleans()
    if isinstance(kind, Choice):
        return st.sampled_from(kind.choices)
    if isinstance(kind, Indices):
        return st.sets(st.integers(0, kind.count - 1), min_size=1).map(
            lambda found: tuple(sorted(found)))
    if isinstance(kind, Colour):
        return st.tuples(*[st.integers(0, 255)] * 3)
    if isinstance(kind, Boxes):
        side = st.lists(FINITE, min_size=2, max_size=2, unique=True).map(sorted)
        return st.lists(st.tuples(side, side).map(lambda s: (s[0][0], s[1][0], s[0][1],
                                                               s[1][1])), max_size=4).map(tuple)
    raise AssertionError(f"no strategy for {kind!r}")
