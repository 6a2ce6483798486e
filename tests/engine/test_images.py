"""Images in and out: pixel types, alpha, ICC profiles, 16-bit PNG and TIFF files."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image, ImageCms

from backend.engine.events import Result
from backend.engine.imageio import read_image, write_image
from backend.engine.images import ImageInputError, prepare, srgb_profile_bytes
from backend.engine.output_files import OutputPathError
from tests.engine.image_files import SRGB_D50, icc_profile, png_bytes, xyz_tag

# Adobe RGB (1998): its D50-adapted colorants and gamma 563/256, as its own profile states them.
ADOBE_RGB_COLORANTS = {"rXYZ": (0.60974, 0.31111, 0.01947), "gXYZ": (0.20528, 0.62567, 0.06087),
                       "bXYZ": (0.14919, 0.06322, 0.74457)}
ADOBE_RGB_GAMMA = 563 / 256


def adobe_rgb_profile() -> bytes:
    """A version-2 matrix/TRC ICC profile for Adobe RGB (1998), written byte by byte."""
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(ADOBE_RGB_GAMMA * 256))
    tags = [(sig.encode(), xyz_tag(v)) for sig, v in ADOBE_RGB_COLORANTS.items()]
    tags += [(sig, curve) for sig in (b"rTRC", b"gTRC", b"bTRC")]
    return icc_profile(b"RGB ", b"mntr", tags)


def adobe_rgb_to_srgb(rgb8: np.ndarray) -> np.ndarray:
    """Reference conversion in float64: decode gamma, Adobe RGB → XYZ (D50) → linear sRGB,
    encode with the sRGB curve; ``(..., 3)`` uint8 in, float in [0, 255] out."""
    adobe = np.array([ADOBE_RGB_COLORANTS[k] for k in ("rXYZ", "gXYZ", "bXYZ")]).T
    linear = (rgb8 / 255.0) ** ADOBE_RGB_GAMMA @ np.linalg.solve(SRGB_D50, adobe).T
    linear = np.clip(linear, 0, 1)
    encoded = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)
    return encoded * 255


def _rgb(source) -> np.ndarray:
    return source.tensor()[0].permute(1, 2, 0).numpy()


def _random_pixels(h: int, w: int, top: int, dtype: type) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, top + 1, size=(h, w, 3)).astype(dtype)


COLOURS = np.array([[[128, 128, 128], [100, 150, 200], [200, 120, 60], [250, 250, 250]]],
                   np.uint8)


def test_adobe_rgb_image_is_converted_to_srgb() -> None:
    image = Image.fromarray(COLOURS)
    image.info["icc_profile"] = adobe_rgb_profile()
    converted = _rgb(prepare(image)) * 255
    np.testing.assert_allclose(converted, adobe_rgb_to_srgb(COLOURS), atol=1.0)
    assert np.abs(converted - COLOURS).max() > 20  # the profile did change the pixels


def test_adobe_rgb_png_file_is_read_and_converted(tmp_path: Path) -> None:
    path = tmp_path / "adobe.png"
    Image.fromarray(COLOURS).save(path, icc_profile=adobe_rgb_profile())
    converted = _rgb(prepare(read_image(path))) * 255
    np.testing.assert_allclose(converted, adobe_rgb_to_srgb(COLOURS), atol=1.0)


def test_alpha_survives_profile_conversion() -> None:
    rgba = np.concatenate([COLOURS, np.array([[[0], [60], [200], [255]]], np.uint8)], axis=2)
    image = Image.fromarray(rgba, "RGBA")
    image.info["icc_profile"] = adobe_rgb_profile()
    source = prepare(image)
    np.testing.assert_array_equal(source.alpha * 255, rgba[..., 3])
    np.testing.assert_allclose(_rgb(source) * 255, adobe_rgb_to_srgb(COLOURS), atol=1.0)


def test_srgb_tagged_image_is_unchanged() -> None:
    pixels = _random_pixels(6, 7, 255, np.uint8)
    image = Image.fromarray(pixels)
    image.info["icc_profile"] = srgb_profile_bytes()
    np.testing.assert_allclose(_rgb(prepare(image)) * 255, pixels, atol=1.0)


def test_broken_profile_is_an_image_input_error() -> None:
    image = Image.fromarray(COLOURS)
    image.info["icc_profile"] = b"this is not an ICC profile"
    with pytest.raises(ImageInputError, match="colour profile"):
        prepare(image)


def test_uint8_array_and_pil_image_give_the_same_pixels() -> None:
    pixels = _random_pixels(5, 6, 255, np.uint8)
    from_array, from_pil = prepare(pixels), prepare(Image.fromarray(pixels))
    assert from_array.rgb8 is not None
    np.testing.assert_array_equal(_rgb(from_array), _rgb(from_pil))
    np.testing.assert_allclose(_rgb(from_array), pixels / 255, atol=1e-7)


def test_uint16_array_keeps_its_precision() -> None:
    pixels = _random_pixels(5, 6, 65535, np.uint16)
    np.testing.assert_allclose(_rgb(prepare(pixels)), pixels / 65535.0, atol=1e-7)


def test_uint16_resize_keeps_more_than_256_levels() -> None:
    ramp = np.linspace(0, 2000, 64 * 64).reshape(64, 64).astype(np.uint16)
    resized = prepare(np.stack([ramp] * 3, axis=-1)).tensor((48, 48))
    assert len(np.unique(np.round(resized.numpy() * 65535))) > 256


def test_float_array_is_clipped_to_the_unit_range() -> None:
    pixels = np.linspace(-0.5, 1.5, 2 * 3 * 3).reshape(2, 3, 3)
    np.testing.assert_allclose(_rgb(prepare(pixels)), np.clip(pixels, 0, 1), atol=1e-7)


@pytest.mark.parametrize(("array", "complaint"), [
    (np.full((4, 4, 3), np.nan), "NaN or infinite"),
    (np.zeros((4, 4, 3), np.int32), "unsupported pixel type int32"),
    (np.zeros((4, 4, 5), np.uint8), r"expected an \(H, W\) or \(H, W, 1-4\) array"),
    (np.zeros((1, 4, 4, 3), np.uint8), r"expected an \(H, W\) or \(H, W, 1-4\) array"),
    (np.zeros((0, 4, 3), np.uint8), "the image is empty"),
])
def test_unusable_array_is_an_image_input_error(array: np.ndarray, complaint: str) -> None:
    with pytest.raises(ImageInputError, match=complaint):
        prepare(array)


def test_non_image_is_an_image_input_error() -> None:
    with pytest.raises(ImageInputError, match="not list"):
        prepare([[0, 0, 0]])


def test_gray_array_becomes_three_equal_channels() -> None:
    gray = _random_pixels(4, 5, 255, np.uint8)[..., 0]
    rgb = _rgb(prepare(gray))
    for channel in range(3):
        np.testing.assert_allclose(rgb[..., channel], gray / 255, atol=1e-7)


def test_gray_alpha_array_keeps_its_alpha() -> None:
    pixels = _random_pixels(4, 5, 65535, np.uint16)[..., :2]
    source = prepare(pixels)
    np.testing.assert_allclose(source.alpha, pixels[..., 1] / 65535, atol=1e-7)
    np.testing.assert_allclose(_rgb(source)[..., 2], pixels[..., 0] / 65535, atol=1e-7)


def test_rgba_image_alpha_is_kept_aside() -> None:
    rgba = np.dstack([_random_pixels(4, 5, 255, np.uint8), np.arange(20, dtype=np.uint8)
                      .reshape(4, 5) * 12])
    source = prepare(Image.fromarray(rgba, "RGBA"))
    np.testing.assert_allclose(source.alpha, rgba[..., 3] / 255, atol=1e-7)
    np.testing.assert_allclose(_rgb(source), rgba[..., :3] / 255, atol=1e-7)


def test_image_without_alpha_has_none() -> None:
    assert prepare(_random_pixels(4, 5, 255, np.uint8)).alpha_at((2, 2)) is None


def test_16_bit_gray_pil_image_is_read_as_float() -> None:
    gray = (np.arange(30, dtype=np.uint16).reshape(5, 6) * 2000)
    image = Image.fromarray(gray)
    assert image.mode == "I;16"
    source = prepare(image)
    assert source.rgb8 is None
    np.testing.assert_allclose(_rgb(source)[..., 0], gray / 65535, atol=1e-6)


def test_8_bit_content_is_resized_with_pil_lanczos() -> None:
    pixels = _random_pixels(40, 30, 255, np.uint8)
    expected = np.asarray(Image.fromarray(pixels).resize((15, 20), Image.LANCZOS)) / 255
    resized = prepare(pixels).tensor((15, 20))
    assert resized.shape == (1, 3, 20, 15)
    np.testing.assert_allclose(resized[0].permute(1, 2, 0).numpy(), expected, atol=1e-7)


@pytest.mark.parametrize("channels", [3, 4])
def test_16_bit_png_is_read_as_uint16_in_rgb_order(tmp_path: Path, channels: int) -> None:
    pixels = _random_pixels(7, 9, 65535, np.uint16)
    if channels == 4:
        pixels = np.dstack([pixels, np.full((7, 9), 40000, np.uint16)])
    (tmp_path / "deep.png").write_bytes(png_bytes(pixels))
    read = read_image(tmp_path / "deep.png")
    assert isinstance(read, np.ndarray) and read.dtype == np.uint16
    np.testing.assert_array_equal(read, pixels)


def test_8_bit_png_is_read_as_a_pil_image(tmp_path: Path) -> None:
    pixels = _random_pixels(4, 5, 255, np.uint8)
    Image.fromarray(pixels).save(tmp_path / "plain.png")
    read = read_image(tmp_path / "plain.png")
    assert isinstance(read, Image.Image)
    np.testing.assert_array_equal(np.asarray(read), pixels)


def _result(channels: int = 3) -> Result:
    pixels = np.random.default_rng(2).random((6, 7, channels)).astype(np.float32)
    return Result(pixels=pixels)


def test_tiff_output_is_16_bit_with_an_srgb_profile(tmp_path: Path) -> None:
    result = _result()
    write_image(tmp_path / "out.tif", result)
    with tifffile.TiffFile(tmp_path / "out.tif") as tiff:
        array = tiff.asarray()
        icc = tiff.pages[0].tags[34675].value
    assert array.dtype == np.uint16
    np.testing.assert_array_equal(array, np.round(result.pixels.astype(np.float64) * 65535))
    assert ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc))).strip()


@pytest.mark.parametrize("channels", [3, 4])
def test_16_bit_png_output_reads_back_exactly(tmp_path: Path, channels: int) -> None:
    result = _result(channels)
    write_image(tmp_path / "out.png", result, bits=16)
    read = read_image(tmp_path / "out.png")
    np.testing.assert_array_equal(read, np.round(result.pixels.astype(np.float64) * 65535))


def test_8_bit_png_output_carries_srgb_and_alpha(tmp_path: Path) -> None:
    result = _result(4)
    write_image(tmp_path / "out.png", result)
    with Image.open(tmp_path / "out.png") as image:
        assert image.mode == "RGBA"
        assert image.info["icc_profile"] == srgb_profile_bytes()
        np.testing.assert_array_equal(np.asarray(image),
                                      np.round(result.pixels.astype(np.float64) * 255))


def test_16_bit_jpeg_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OutputPathError, match="JPEG has no 16-bit form"):
        write_image(tmp_path / "out.jpg", _result(), bits=16)


def test_result_array_depth_must_be_8_or_16() -> None:
    with pytest.raises(ValueError, match="bits must be 8 or 16"):
        _result().to_array(12)


def test_16_bit_png_is_converted_through_its_profile_at_16_bits(tmp_path: Path) -> None:
    (tmp_path / "adobe16.png").write_bytes(png_bytes(COLOURS.astype(np.uint16) * 257,
                                                     icc=adobe_rgb_profile()))
    read = read_image(tmp_path / "adobe16.png")
    assert read.dtype == np.uint16
    np.testing.assert_allclose(read / 257.0, adobe_rgb_to_srgb(COLOURS), atol=1.0)
    assert np.abs(read / 257.0 - COLOURS).max() > 20  # the profile did change the pixels
