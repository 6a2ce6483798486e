"""Protocol samples without numpy: alpha and byte order, as every plug-in handles them."""

from __future__ import annotations

from array import array

import pytest

from shared.pixels import keeps_content_alpha, replace_alpha, result_channels, swap_to_protocol


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
