"""Pixels between Krita's layouts and the protocol, without Krita."""

from __future__ import annotations

from array import array

import pytest

from krita_plugin.pixels import (
    DepthError,
    krita_to_protocol,
    mask_alpha,
    protocol_to_krita,
    transfer_depth,
    with_alpha,
)


@pytest.mark.parametrize("depth, transfer", [("U8", "U8"), ("U16", "U16"), ("F16", "F32"),
                                             ("F32", "F32")])
def test_every_krita_depth_travels_without_loss(depth, transfer):
    assert transfer_depth(depth) == transfer


def test_an_unsupported_depth_says_how_to_convert():
    with pytest.raises(DepthError, match="Convert Image Color Space"):
        transfer_depth("U32")


@pytest.mark.parametrize("code, dtype", [("B", "u8"), ("H", "u16")])
def test_integer_pixels_are_reordered_from_krita_bgra(code, dtype):
    bgra = array(code, [1, 2, 3, 4, 5, 6, 7, 8]).tobytes()
    rgba = array(code)
    rgba.frombytes(krita_to_protocol(bgra, dtype))
    assert list(rgba) == [3, 2, 1, 4, 7, 6, 5, 8]
    assert protocol_to_krita(krita_to_protocol(bgra, dtype), dtype) == bgra


def test_float_pixels_are_already_rgba():
    rgba = array("f", [0.1, 0.2, 0.3, 1.0]).tobytes()
    assert krita_to_protocol(rgba, "f32") == rgba == protocol_to_krita(rgba, "f32")


def test_rgb_gains_an_opaque_alpha():
    rgb = array("H", [1, 2, 3, 4, 5, 6]).tobytes()
    rgba = array("H")
    rgba.frombytes(with_alpha(rgb, 3, "u16"))
    assert list(rgba) == [1, 2, 3, 65535, 4, 5, 6, 65535]


@pytest.mark.parametrize("code, dtype, full", [("B", "u8", 255), ("H", "u16", 65535),
                                               ("f", "f32", 1.0)])
def test_the_selection_scales_alpha(code, dtype, full):
    pixels = array(code, [9, 9, 9, full] * 3 if dtype != "f32" else [0.5, 0.5, 0.5, 1.0] * 3)
    masked = array(code)
    masked.frombytes(mask_alpha(pixels.tobytes(), bytes([255, 0, 51]), dtype))
    assert list(masked[3::4]) == pytest.approx([full, 0, full / 5])
    assert list(masked[0::4]) == list(pixels[0::4])


def test_a_full_selection_leaves_pixels_alone_and_a_wrong_size_is_refused():
    pixels = bytes([1, 2, 3, 128]) * 2
    assert mask_alpha(pixels, bytes([255, 255]), "u8") == pixels
    with pytest.raises(ValueError, match="mask of 3 pixels"):
        mask_alpha(pixels, bytes(3), "u8")
