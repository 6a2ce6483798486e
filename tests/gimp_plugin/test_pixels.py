"""Pixel formats between GIMP and the protocol."""

from __future__ import annotations

import pytest

from gimp_plugin.pixels import babl_format, channel_count, transfer_dtype


@pytest.mark.parametrize("precision, dtype", [
    ("u8-non-linear", "u8"), ("u8-perceptual", "u8"), ("u16-linear", "u16"),
    ("U16_NON_LINEAR", "u16"), ("u32-linear", "f32"), ("half-non-linear", "f32"),
    ("float-linear", "f32"), ("double-perceptual", "f32"),
])
def test_every_gimp_precision_travels_without_loss(precision, dtype):
    assert transfer_dtype(precision) == dtype


def test_an_unknown_precision_is_refused():
    with pytest.raises(ValueError, match="unknown GIMP precision"):
        transfer_dtype("u64-linear")


def test_formats_are_perceptual_and_interleaved():
    assert babl_format(4, "u16") == "R'G'B'A u16"
    assert babl_format(3, "f32") == "R'G'B' float"
    assert babl_format(2, "u8") == "Y'A u8"
    assert [channel_count(g, a) for g in (True, False) for a in (False, True)] == [1, 2, 3, 4]
