"""The size check names a fix that works for the image it refuses."""

from __future__ import annotations

import pytest

from backend.engine.images import ImageInputError
from backend.engine.sizes import check_sizes
from shared.options import Options


def test_a_thin_content_is_told_the_first_scale_that_would_fit() -> None:
    with pytest.raises(ImageInputError, match=r"to at least 320 px, or crop the image$"):
        check_sizes((200, 10), [(256, 256)], Options())


def test_a_content_no_scale_can_fit_is_told_to_crop_only() -> None:
    with pytest.raises(ImageInputError) as refused:
        check_sizes((1, 4096), [(256, 256)], Options(min_scale=8192, end_scale=8192))
    assert "crop the image to at most 512:1" in str(refused.value)
    assert "min_scale" not in str(refused.value)


def test_the_suggested_first_scale_is_accepted() -> None:
    check_sizes((200, 10), [(256, 256)], Options(min_scale=320, end_scale=320))


def test_the_contents_own_size_above_the_limit_is_told_the_end_scale_that_fits() -> None:
    with pytest.raises(ImageInputError, match=r"^the content is 9000x3000: its own size \(9000 "
                                              r"px long side\) is above the 8192-px limit of "
                                              r"end_scale; use end_scale 8192 "):
        check_sizes((9000, 3000), [(256, 256)], Options(end_scale=0))
    check_sizes((9000, 3000), [(256, 256)], Options(end_scale=8192))


def test_the_contents_own_size_at_the_limit_is_accepted() -> None:
    check_sizes((8192, 3000), [(256, 256)], Options(end_scale=0))
