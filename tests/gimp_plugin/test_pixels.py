"""Pixel formats between GIMP and the protocol."""

from __future__ import annotations

from array import array

import pytest

from gimp_plugin.pixels import (
    babl_format,
    channel_count,
    keeps_content_alpha,
    replace_alpha,
    result_channels,
    swap_to_protocol,
    transfer_dtype,
)


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


def test_the_result_gains_alpha_only_for_a_matte():
    assert result_channels(3, "keep") == 3
    assert result_channels(3, "alpha") == 4
    assert result_channels(1, "alpha") == 2
    assert result_channels(4, "alpha") == 4
    assert keeps_content_alpha(4, "restore") and not keeps_content_alpha(4, "alpha")
    assert not keeps_content_alpha(3, "keep")


@pytest.mark.parametrize("code, dtype", [("B", "u8"), ("H", "u16"), ("f", "f32")])
def test_replace_alpha_takes_only_the_alpha_samples(code, dtype):
    pixels = array(code, [1, 2, 3, 4, 5, 6, 7, 8]).tobytes()
    source = array(code, [9, 9, 9, 40, 9, 9, 9, 80]).tobytes()
    replaced = array(code)
    replaced.frombytes(replace_alpha(pixels, source, 4, dtype))
    assert list(replaced) == [1, 2, 3, 40, 5, 6, 7, 80]


def test_replace_alpha_refuses_mismatched_buffers():
    with pytest.raises(ValueError, match="no alpha"):
        replace_alpha(b"abc", b"abc", 3, "u8")
    with pytest.raises(ValueError, match="differ in size"):
        replace_alpha(b"abcd", b"abcdabcd", 4, "u8")


def test_samples_reach_the_protocol_little_endian():
    data = array("H", [1, 2]).tobytes()
    assert swap_to_protocol(data, "u16") == b"\x01\x00\x02\x00"
