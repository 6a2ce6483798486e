"""Shape, not box: the face terms pull on the face (its FaceMesh oval, feathered), so the result
shows no rectangle where a face box ends (the paper's crop mode leaves one), and the background
inside a crop changes as the background outside it does.

Measured on the result's distance to the content. Seams: averaged along each side of the crop,
the one-pixel step across the border against the one-pixel steps just inside and just outside
it. Background: the mean distance in the crop's ring outside the detected face box over that in
a band of the same width around the crop, against the same ratio with the face terms off.
A strong face weight makes a box obvious when there is one; a hard crop rectangle
(``face_shape="box"``, ``face_feather=0``, the paper's behaviour) is run as well, to show the
measures do see it.
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


BAND = 0.15  # width of the band around the crop, as a fraction of the crop's width


@pytest.fixture(scope="module")
def portrait() -> Image.Image:
    return photo("astronaut").crop((100, 0, 356, 256))


def run(models: ModelBundle, portrait: Image.Image, face_weight: float = 1.0,
        **faces: object) -> Result:
    options = Options(min_scale=SIDE, end_scale=SIDE, initial_iterations=30, iterations=30,
                      step_size=0.05, face_weight=face_weight, mesh_weight=0.0, **faces)
    return stylize(portrait, [photo("starry_night")], options=options, models=models)


@pytest.fixture(scope="module")
def oval(models: ModelBundle, portrait: Image.Image) -> Result:
    return run(models, portrait)


@pytest.fixture(scope="module")
def hard_box(models: ModelBundle, portrait: Image.Image) -> Result:
    # The whole crop held in colour too: the seam the measure must see.
    return run(models, portrait, face_shape="box", face_feather=0.0, face_luma=False)


def distance_to_content(result: Result, portrait: Image.Image) -> np.ndarray:
    h, w = result.pixels.shape[:2]
    content = np.asarray(portrait.resize((w, h), Image.LANCZOS), dtype=np.float32) / 255
    return np.abs(result.pixels - content).mean(axis=2)


def last_face(result: Result) -> dict:
    return result.metadata["faces"]["terms"]["scales"][-1]["faces"][0]


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
    distance = distance_to_content(result, portrait)
    crop = last_face(result)["crop"]
    across = inside = outside = 0.0
    for profile in side_profiles(distance, crop):
        steps = np.abs(np.diff(profile))
        border = 2 * NEIGHBOURS - 1
        across += steps[border]
        outside += steps[border - NEIGHBOURS: border].mean()
        inside += steps[border + 1: border + 1 + NEIGHBOURS].mean()
    return across / ((inside + outside) / 2)


def background_ratio(result: Result, portrait: Image.Image, face: dict) -> float:
    """Mean distance to the content in the crop's ring outside the face box, over that in the
    band of width ``BAND × crop width`` around the crop (``face``: a metadata face record)."""
    distance = distance_to_content(result, portrait)
    h, w = distance.shape
    ys, xs = np.mgrid[0:h, 0:w] + 0.5

    def within(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        return (xs >= x0) & (xs < x1) & (ys >= y0) & (ys < y1)

    x0, y0, x1, y1 = face["crop"]
    reach = BAND * (x1 - x0)
    crop = within(x0, y0, x1, y1)
    ring = crop & ~within(*face["box"])
    band = within(x0 - reach, y0 - reach, x1 + reach, y1 + reach) & ~crop
    return float(distance[ring].mean() / distance[band].mean())


def test_face_terms_leave_no_step_at_the_crop_border(oval: Result, hard_box: Result,
                                                     portrait: Image.Image) -> None:
    assert last_face(oval)["region"] == "oval"
    assert seam_ratio(hard_box, portrait) > 3, "the measure must see the seam a hard box leaves"
    assert seam_ratio(oval, portrait) < 1.5


def test_background_inside_the_crop_changes_as_outside_it(
        models: ModelBundle, portrait: Image.Image, oval: Result, hard_box: Result) -> None:
    face = last_face(oval)
    terms_off = background_ratio(run(models, portrait, face_weight=0.0), portrait, face)
    assert background_ratio(hard_box, portrait, face) < 0.5 * terms_off, \
        "the measure must see a box held whole"
    feathered_box = run(models, portrait, face_shape="box")
    assert background_ratio(feathered_box, portrait, face) < 0.75 * terms_off
    # The ring takes in the band the oval holds beyond the jaw (the face's own edge; 0.81 of
    # the terms off), and the feathered box, which holds the whole ring, reads 0.61.
    assert background_ratio(oval, portrait, face) > 0.75 * terms_off
