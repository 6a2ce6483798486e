"""No seams: the face terms' pull fades toward the crop border, so the result shows no hard
rectangle where a face box ends (the paper's crop mode leaves one).

Measured on the result's distance to the content, averaged along each side of the crop: the
one-pixel step across the border against the one-pixel steps just inside and just outside it.
A strong face weight makes a seam obvious when there is one; a hard crop (``face_feather=0``,
the paper's behaviour) is run as well, to show the measure does see seams.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from backend.engine import Result, stylize
from backend.models.bundle import ModelBundle
from shared.options import Options
from tests.photos import photo

SIDE = 128
NEIGHBOURS = 4  # one-pixel steps compared on each side of the border
MARGIN = 4  # profiles skip this many pixels at the ends of each side (the corners)


@pytest.fixture(scope="module")
def portrait() -> Image.Image:
    return photo("astronaut").crop((100, 0, 356, 256))


def run(models: ModelBundle, portrait: Image.Image, feather: float) -> Result:
    options = Options(min_scale=SIDE, end_scale=SIDE, initial_iterations=30, iterations=30,
                      step_size=0.05, face_weight=1.0, mesh_weight=0.0, face_feather=feather)
    return stylize(portrait, [photo("starry_night")], options=options, models=models)


def side_profiles(distance: np.ndarray, crop: list[float]) -> list[np.ndarray]:
    """Mean ``distance`` on lines parallel to each side of ``crop``, ordered from outside to
    inside: index ``2·NEIGHBOURS`` is the first pixel whose centre lies inside the crop."""
    x0, y0, x1, y1 = crop
    reach = 2 * NEIGHBOURS
    rows = distance[int(np.ceil(y0)) + MARGIN: int(np.floor(y1)) - MARGIN].mean(axis=0)
    columns = distance[:, int(np.ceil(x0)) + MARGIN: int(np.floor(x1)) - MARGIN].mean(axis=1)
    first_x, last_x = int(np.ceil(x0 - 0.5)), int(np.floor(x1 - 0.5))
    first_y, last_y = int(np.ceil(y0 - 0.5)), int(np.floor(y1 - 0.5))
    return [rows[first_x - reach: first_x + reach],
            rows[last_x - reach + 1: last_x + reach + 1][::-1],
            columns[first_y - reach: first_y + reach],
            columns[last_y - reach + 1: last_y + reach + 1][::-1]]


def seam_ratio(result: Result, portrait: Image.Image) -> float:
    """Step across the crop border over the mean step just inside and outside it, summed over
    the four sides: about 1 for a smooth fade, several times that for a seam."""
    h, w = result.pixels.shape[:2]
    content = np.asarray(portrait.resize((w, h), Image.LANCZOS), dtype=np.float32) / 255
    distance = np.abs(result.pixels - content).mean(axis=2)
    crop = result.metadata["faces"]["terms"]["scales"][-1]["faces"][0]["crop"]
    across = inside = outside = 0.0
    for profile in side_profiles(distance, crop):
        steps = np.abs(np.diff(profile))
        border = 2 * NEIGHBOURS - 1
        across += steps[border]
        outside += steps[border - NEIGHBOURS: border].mean()
        inside += steps[border + 1: border + 1 + NEIGHBOURS].mean()
    return across / ((inside + outside) / 2)


def test_feathered_face_terms_leave_no_step_at_the_crop_border(
        models: ModelBundle, portrait: Image.Image) -> None:
    feathered = seam_ratio(run(models, portrait, Options().face_feather), portrait)
    hard = seam_ratio(run(models, portrait, 0.0), portrait)
    assert hard > 3, "the measure must see the seam a hard crop leaves"
    assert feathered < 2

