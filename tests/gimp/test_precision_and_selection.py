"""Image precisions, modes and selections in a real GIMP 3.

One GIMP run (module fixture): a 16-bit and a 32-bit float image are stylized at their precision,
a grayscale one in grayscale; an 8-bit one with a rectangle selected is stylized only inside it
and masked by it."""

from __future__ import annotations

import numpy as np
import pytest

from tests.gimp.scenarios import DIALOG, TINY, arguments_text, pixels

pytestmark = pytest.mark.gimp

SELECTION = (10, 12, 30, 24)  # x, y, width, height in image pixels
OFFSETS = (4, 2)


@pytest.fixture(scope="module")
def run(gimp, photos):
    return gimp.run(f"""
def stylize(key, precision, select=None, grayscale=False):
    image = canvas(80, 80)
    content = add_layer(image, {photos.portrait!r}, "Portrait", offsets={OFFSETS!r})
    style = add_layer(image, {photos.style!r}, "Starry Night", position=0)
    if precision is not None:
        image.convert_precision(precision)
    if grayscale:
        image.convert_grayscale()
    if select is not None:
        image.select_rectangle(Gimp.ChannelOps.REPLACE, *select)
    result = run_procedure({DIALOG!r}, image, [content], style_layer=style,
                           {arguments_text(TINY)})
    REPORT["calls"][key] = {{"status": result["status"], "error": result["error"],
                            "precision": image.get_precision().value_nick,
                            "base": image.get_base_type().value_nick,
                            "type": result["layer"].type().value_nick if result["layer"] else None,
                            "layer": layer_info(image, result["layer"])}}
    return content, result["layer"]

def body():
    for key, precision, fmt in (("u16", Gimp.Precision.U16_NON_LINEAR, "R'G'B'A u16"),
                                ("f32", Gimp.Precision.FLOAT_NON_LINEAR, "R'G'B'A float")):
        content, layer = stylize(key, precision)
        dump(content, key + "_content", fmt)
        dump(layer, key + "_result", fmt)
    content, layer = stylize("gray", None, grayscale=True)
    dump(content, "gray_content", "Y'A u8")
    dump(layer, "gray_result", "Y'A u8")
    content, layer = stylize("selection", None, {SELECTION!r})
    dump(content, "selection_content")
    dump(layer, "selection_result")
    dump(layer.get_mask(), "selection_mask", "Y' u8")
scenario(body)
""")


def _stylized(run, key):
    call = run.call(key)
    assert call["status"] == "success", call["error"]
    return call


def test_a_16_bit_image_is_stylized_at_16_bits(run):
    call = _stylized(run, "u16")
    assert call["precision"] == "u16-non-linear"
    size = call["layer"]["size"]
    content = pixels(run.out_dir, "u16_content", size, dtype="u16")
    result = pixels(run.out_dir, "u16_result", size, dtype="u16")
    # The content came from an 8-bit PNG: all its samples are multiples of 257. A result
    # computed and written at 16 bits has samples between those steps.
    assert (content[..., :3] % 257 == 0).all()
    assert (result[..., :3] % 257 != 0).mean() > 0.5


def test_a_float_image_is_stylized_in_float(run):
    call = _stylized(run, "f32")
    assert call["precision"] == "float-non-linear"
    size = call["layer"]["size"]
    content = pixels(run.out_dir, "f32_content", size, dtype="f32")[..., :3] * 255
    result = pixels(run.out_dir, "f32_result", size, dtype="f32")[..., :3] * 255
    assert np.abs(content - np.round(content)).max() < 1e-3
    assert (np.abs(result - np.round(result)) > 1e-3).mean() > 0.5


def test_a_grayscale_image_gets_a_grayscale_result(run):
    call = _stylized(run, "gray")
    assert (call["base"], call["type"]) == ("gray", "graya-image")
    size = call["layer"]["size"]
    content = pixels(run.out_dir, "gray_content", size, channels=2).astype(int)
    result = pixels(run.out_dir, "gray_result", size, channels=2).astype(int)
    visible = content[..., 1] == 255
    assert np.abs(result[..., 0] - content[..., 0])[visible].mean() > 2
    np.testing.assert_array_equal(result[..., 1], content[..., 1])


@pytest.fixture(scope="module")
def selection_run(run):
    call = _stylized(run, "selection")
    size = call["layer"]["size"]
    return (call, pixels(run.out_dir, "selection_content", size).astype(int),
            pixels(run.out_dir, "selection_result", size).astype(int),
            pixels(run.out_dir, "selection_mask", size, channels=1)[..., 0])


def _inside(size):
    """The selection in the layer's own pixels."""
    x, y, width, height = SELECTION
    inside = np.zeros((size[1], size[0]), bool)
    inside[y - OFFSETS[1]:y - OFFSETS[1] + height, x - OFFSETS[0]:x - OFFSETS[0] + width] = True
    return inside


def test_a_selection_becomes_the_result_layers_mask(selection_run):
    call, _, _, mask = selection_run
    assert call["layer"]["has_mask"]
    inside = _inside(call["layer"]["size"])
    assert (mask[inside] == 255).all() and (mask[~inside] == 0).all()


def test_only_the_selections_bounding_box_is_stylized(selection_run):
    call, content, result, _ = selection_run
    inside = _inside(call["layer"]["size"])
    np.testing.assert_array_equal(result[~inside], content[~inside])
    visible = inside & (content[..., 3] == 255)
    change = np.abs(result[..., :3] - content[..., :3]).max(axis=2)
    assert change[visible].mean() > 2
