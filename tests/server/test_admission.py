"""Admission control through a real server: sizes are bounded and checked at submit, a job
that cannot fit the device's memory is refused with a size that would, and the server lives."""

import re

import pytest

from shared.client import BackendError
from tests.server.conftest import TINY, photo_image


def refusal(client, content, style, **options) -> BackendError:
    with pytest.raises(BackendError) as caught:
        client.submit(content, [style], options={**TINY, **options})
    assert client.health()["protocol"] == 1  # and the server still answers
    return caught.value


def test_a_job_larger_than_the_memory_is_refused_naming_an_end_scale_that_fits(client,
                                                                               content, style):
    # untiled: tiles would bring it near this machine's free memory, a verdict that could vary
    refused = refusal(client, content, style, end_scale=8192, tile_size=0)
    assert refused.code == "job_too_large"
    fits = re.search(r"end_scale (\d+) fits", refused.message)
    assert fits and 32 <= int(fits.group(1)) < 8192, refused.message
    assert "\n" not in refused.message


def test_too_many_face_boxes_are_refused_at_submit(client, content, style):
    refused = refusal(client, content, style, face_boxes=[[1, 1, 20, 20]] * 33)
    assert refused.code == "bad_options" and "at most 32" in refused.message


@pytest.mark.parametrize(("role", "width", "height", "expected"), [
    ("content", 1, 4096, "the content is 1x4096"),
    ("style", 1, 1, "style image 1 is 1x1"),
])
def test_an_image_too_small_to_stylize_is_refused_at_submit_with_the_engines_line(
        client, content, style, role, width, height, expected):
    tiny = photo_image("astronaut", width, height)
    content, style = (tiny, style) if role == "content" else (content, tiny)
    refused = refusal(client, content, style)
    assert refused.code == "bad_image"
    assert refused.message.startswith(expected) and "VGG-19" in refused.message


def test_many_face_boxes_run_in_bounded_chunks_and_the_job_finishes(client, content, style):
    boxes = [[2 + i % 8, 2, 22 + i % 8, 20] for i in range(32)]
    _, metadata = client.submit(content, [style], options={**TINY, "face_boxes": boxes}).result()
    assert len(metadata["faces"]["fidelity"]) == 8  # the largest eight


@pytest.mark.parametrize(("role", "expected"), [("content", "the content is 200x100"),
                                                ("style", "style image 1 is 200x100")])
def test_an_image_over_the_servers_pixel_limit_is_named_before_it_is_sent(
        client, content, style, role, expected):
    large = photo_image("astronaut", 200, 100)  # over the test server's 128 x 128 pixels
    content, style = (large, style) if role == "content" else (content, large)
    with pytest.raises(BackendError) as refused:
        client.submit(content, [style])
    assert refused.value.code == "image_too_large"
    assert refused.value.message.startswith(expected)
    assert "--max-pixels" in refused.value.message and "\n" not in refused.value.message
