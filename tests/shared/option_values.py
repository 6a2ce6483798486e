"""Hypothesis strategies for the canonical values of each option type (shared by the option
tests of the codecs, the CLI and the GIMP arguments)."""

from __future__ import annotations

from hypothesis import strategies as st

from shared import option_lists as lists
from shared import option_types as types

FINITE = st.floats(allow_nan=False, allow_infinity=False)


def values_of(kind: types.OptionType) -> st.SearchStrategy:
    """Canonical values of an option type."""
    if isinstance(kind, types.OptionalWhole):
        return st.none() | st.integers(int(kind.minimum), int(kind.maximum))
    if isinstance(kind, types.AutoWholeOrZero):
        return st.none() | st.just(0) | st.integers(kind.least, int(kind.maximum))
    if isinstance(kind, types.WholeOrZero):
        return st.just(0) | st.integers(kind.least, int(kind.maximum))
    if isinstance(kind, types.Whole):
        return st.integers(int(kind.minimum), int(kind.maximum))
    if isinstance(kind, types.Real):
        return st.floats(kind.minimum, kind.maximum)
    if isinstance(kind, types.Flag):
        return st.booleans()
    if isinstance(kind, types.Choice):
        return st.sampled_from(kind.choices)
    if isinstance(kind, lists.Indices):
        return st.sets(st.integers(0, kind.count - 1), min_size=1).map(
            lambda found: tuple(sorted(found)))
    if isinstance(kind, lists.Colour):
        return st.tuples(*[st.integers(0, 255)] * 3)
    if isinstance(kind, lists.Boxes):
        side = st.lists(FINITE, min_size=2, max_size=2, unique=True).map(sorted)
        return st.lists(st.tuples(side, side).map(lambda s: (s[0][0], s[1][0], s[0][1],
                                                               s[1][1])), max_size=4).map(tuple)
    raise AssertionError(f"no strategy for {kind!r}")
