"""Filters ▸ Artistic ▸ Portrait Stylization… run by a script in a real GIMP 3.

One GIMP run (module fixture) stylizes an RGBA portrait layer with offsets after a style layer
from the same image, showing a preview every iteration, then repeats with the last values; the
tests judge what it recorded."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.gimp.scenarios import DIALOG, RESULT, TINY, arguments_text, pixels

pytestmark = pytest.mark.gimp

OFFSETS = (7, 5)


@pytest.fixture(scope="module")
def run(gimp, photos):
    return gimp.run(f"""
def body():
    image = canvas(140, 120)
    content = add_layer(image, {photos.portrait!r}, "Portrait", offsets={OFFSETS!r})
    style = add_layer(image, {photos.style!r}, "Starry Night", position=0)
    dump(content, "content_before"); dump(style, "style_before")
    first = run_procedure({DIALOG!r}, image, [content], style_layer=style,
                          {arguments_text({**TINY, "preview_interval": 1})}, face_weight=0.5)
    REPORT["calls"]["first"] = {{"status": first["status"], "error": first["error"],
                                "layer": layer_info(image, first["layer"]),
                                "content": layer_info(image, content),
                                "layers": layer_names(image)}}
    dump(first["layer"], "result"); dump(content, "content_after"); dump(style, "style_after")
    again = run_procedure({DIALOG!r}, image, [content], run_mode=Gimp.RunMode.WITH_LAST_VALS)
    REPORT["calls"]["again"] = {{"status": again["status"], "error": again["error"],
                                "layer": layer_info(image, again["layer"])
                                if again["layer"] else None}}
scenario(body)
""")


@pytest.fixture(scope="module")
def first(run):
    call = run.call("first")
    assert call["status"] == "success", call["error"]
    return call


def test_the_new_layer_is_named_after_what_it_is(first):
    assert first["layer"]["name"] == RESULT


def test_the_new_layer_sits_directly_above_the_content(first):
    assert first["layer"]["parent"] == first["content"]["parent"]
    assert first["layer"]["position"] == first["content"]["position"] - 1
    assert first["layers"][first["layer"]["position"] + 1] == "Portrait"


def test_only_the_result_layer_was_added(first):
    assert len(first["layers"]) == 3  # style, result, content: no preview left behind


def test_the_new_layer_has_the_contents_offsets_and_size(first):
    assert first["layer"]["offsets"] == list(OFFSETS)
    assert first["layer"]["size"] == first["content"]["size"]
    assert not first["layer"]["has_mask"]  # no selection, no mask


def test_the_contents_alpha_is_kept_exactly(run, first):
    size = first["content"]["size"]
    result, content = pixels(run.out_dir, "result", size), pixels(run.out_dir, "content_before",
                                                                  size)
    assert first["layer"]["has_alpha"]
    assert (content[..., 3] == 0).any() and (content[..., 3] == 128).any()
    np.testing.assert_array_equal(result[..., 3], content[..., 3])


def test_the_result_differs_from_the_content_everywhere_it_is_visible(run, first):
    size = first["content"]["size"]
    result = pixels(run.out_dir, "result", size).astype(int)
    content = pixels(run.out_dir, "content_before", size).astype(int)
    visible = content[..., 3] == 255
    change = np.abs(result[..., :3] - content[..., :3]).max(axis=2)
    assert change[visible].mean() > 2
    # Written everywhere: every row and column of the visible part has changed pixels.
    rows = [change[y][visible[y]] for y in range(size[1]) if visible[y].any()]
    columns = [change[:, x][visible[:, x]] for x in range(size[0]) if visible[:, x].any()]
    assert all(line.max() > 0 for line in rows + columns)


def test_the_content_and_style_layers_are_untouched(run, first):
    size = first["content"]["size"]
    np.testing.assert_array_equal(pixels(run.out_dir, "content_after", size),
                                  pixels(run.out_dir, "content_before", size))
    style_before = (run.out_dir / "style_before.raw").read_bytes()
    assert (run.out_dir / "style_after.raw").read_bytes() == style_before


def test_the_jobs_record_travels_with_the_layer(first):
    record = json.loads(first["layer"]["parasite"])
    assert record["options"]["end_scale"] == TINY["end_scale"]
    assert record["options"]["face_weight"] == 0.5
    assert record["size"] == first["content"]["size"]


def test_repeat_with_last_values_uses_the_same_style_and_options(run, first):
    again = run.call("again")
    assert again["status"] == "success", again["error"]
    # A second result gets a name of its own, not GIMP's "#1" copy suffix.
    assert again["layer"]["name"] == "Portrait — stylized 2 (Starry Night)"
    assert (json.loads(again["layer"]["parasite"])["options"]
            == json.loads(first["layer"]["parasite"])["options"])
