"""Image frames: descriptors, byte lengths and limits."""

import struct

import pytest

from shared.framing import (
    FramingError,
    ImageData,
    ImageTooLarge,
    check_descriptor,
    check_frame,
    frame_length,
)


def descriptor(width=4, height=3, channels=3, dtype="u8"):
    return {"width": width, "height": height, "channels": channels, "dtype": dtype}


@pytest.mark.parametrize(("channels", "dtype", "expected"), [
    (1, "u8", 12), (2, "u16", 48), (3, "f32", 144), (4, "u8", 48)])
def test_frame_length_is_pixels_times_channels_times_sample_size(channels, dtype, expected):
    assert frame_length(4, 3, channels, dtype) == expected


def test_image_data_accepts_exactly_its_pixels():
    pixels = struct.pack("<12f", *([0.5] * 12))
    image = ImageData(2, 2, 3, "f32", pixels)
    assert image.descriptor() == descriptor(2, 2, 3, "f32")
    assert not image.has_alpha and image.pixels == 4


@pytest.mark.parametrize("length", [0, 35, 37])
def test_a_frame_of_the_wrong_length_is_refused_with_both_lengths(length):
    with pytest.raises(FramingError, match=f"36 bytes, it holds {length}"):
        ImageData(4, 3, 3, "u8", bytes(length))


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("width", 0, "within 1..65536"),
    ("height", -3, "within 1..65536"),
    ("channels", 5, "within 1..4"),
    ("channels", 3.0, "whole number"),
    ("width", True, "whole number"),
    ("dtype", "u32", "one of u8, u16, f32"),
])
def test_bad_descriptor_fields_are_named(field, value, reason):
    with pytest.raises(FramingError, match=reason):
        check_descriptor({**descriptor(), field: value})


def test_descriptor_with_missing_or_unknown_fields_is_refused():
    with pytest.raises(FramingError, match="lacks dtype"):
        check_descriptor({"width": 1, "height": 1, "channels": 1})
    with pytest.raises(FramingError, match="unknown field"):
        check_descriptor({**descriptor(), "stride": 12})
    with pytest.raises(FramingError, match="must be an object"):
        check_descriptor([4, 3, 3, "u8"])


def test_more_pixels_than_the_limit_is_image_too_large():
    with pytest.raises(ImageTooLarge, match="at most 11"):
        check_descriptor(descriptor(4, 3), max_pixels=11)
    assert check_descriptor(descriptor(4, 3), max_pixels=12) == (4, 3, 3, "u8")


def test_check_frame_takes_memoryviews():
    check_frame(descriptor(1, 1, 1, "u16"), memoryview(b"\x00\x01"))


def test_from_frame_copies_and_checks_the_pixel_limit():
    frame = bytearray(4)
    image = ImageData.from_frame(descriptor(2, 2, 1, "u8"), frame)
    frame[0] = 9
    assert image.data == bytes(4)
    with pytest.raises(ImageTooLarge):
        ImageData.from_frame(descriptor(2, 2, 1, "u8"), frame, max_pixels=3)
