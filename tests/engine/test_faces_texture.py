"""The texture measure of the fidelity report: the RMS of the Laplacian inside a face crop
relative to the photograph's (every channel, the largest over three octaves), flagged above
max(1, 1.5 × the ratio outside the faces) (issue 9). An adversarial result is stood in for by a
maze: band-passed seeded noise thresholded into the dense wormy pattern the face terms paint,
grey and one pixel wide, or coloured and two to four pixels wide."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torch.nn import functional as F
from torchvision.transforms.functional import gaussian_blur

from backend.engine.faces import FaceLocator
from backend.engine.fidelity import texture_columns
from backend.engine.texture import box_mask, laplacian, texture_bound, texture_ratio
from backend.models.bundle import ModelBundle
from backend.weights import WeightsConfig
from shared.options import Options
from tests.photos import photo

SIDE = 192


@pytest.fixture(scope="module")
def astronaut() -> torch.Tensor:
    image = photo("astronaut").resize((SIDE, SIDE), Image.LANCZOS)
    return torch.from_numpy(np.array(image, dtype=np.float32) / 255).permute(2, 0, 1)[None]


@pytest.fixture(scope="module")
def crops(astronaut: torch.Tensor) -> torch.Tensor:
    detector = ModelBundle("cpu", WeightsConfig()).face_detector()
    found = FaceLocator((SIDE, SIDE), Options(), detector).at(astronaut).crops
    assert len(found) == 1
    return found


def maze(size: tuple[int, int], seed: int) -> torch.Tensor:
    """``(1, 1, H, W)`` in {−1, 1}: a labyrinth of one- to two-pixel-wide strokes."""
    noise = torch.randn(1, 1, size[1], size[0], generator=torch.Generator().manual_seed(seed))
    band = gaussian_blur(noise, 5, 0.8) - gaussian_blur(noise, 9, 1.6)
    return torch.sign(band)


def smoothed(image: torch.Tensor) -> torch.Tensor:
    """What a stylization without face terms does to detail: less of it."""
    return gaussian_blur(image, 13, 2.0)


def with_maze(image: torch.Tensor, mask: torch.Tensor, amplitude: float = 0.12) -> torch.Tensor:
    pattern = maze((image.shape[3], image.shape[2]), seed=9) * mask
    return (image + amplitude * pattern).clamp(0, 1)


def test_a_flat_image_has_no_laplacian() -> None:
    assert float(laplacian(torch.full((1, 3, 16, 20), 0.4)).abs().max()) == 0


def test_an_unchanged_face_has_ratio_one(astronaut: torch.Tensor, crops: torch.Tensor) -> None:
    mask = box_mask((SIDE, SIDE), crops)
    assert texture_ratio(astronaut, astronaut.clone(), mask) == pytest.approx(1.0)


def test_a_smoothed_face_passes(astronaut: torch.Tensor, crops: torch.Tensor) -> None:
    [face] = texture_columns(astronaut, smoothed(astronaut), crops)
    assert face["texture_ratio"] < 0.8
    assert face["texture_bound"] == 1.0 and face["texture_exceeds"] is False


def test_a_maze_textured_face_is_flagged(astronaut: torch.Tensor, crops: torch.Tensor) -> None:
    face_only = box_mask((SIDE, SIDE), crops).float()
    [face] = texture_columns(astronaut, with_maze(smoothed(astronaut), face_only), crops)
    assert face["texture_ratio"] > 1.2
    assert face["texture_exceeds"] is True


def test_a_coarse_coloured_maze_that_leaves_the_luma_alone_is_flagged(
        astronaut: torch.Tensor, crops: torch.Tensor) -> None:
    face_only = box_mask((SIDE, SIDE), crops).float()
    coarse = F.interpolate(maze((SIDE // 3, SIDE // 3), seed=4), size=(SIDE, SIDE),
                           mode="nearest")[0, 0] * face_only
    # Red up where blue goes down, in the proportion that keeps BT.601 luma unchanged.
    chroma = torch.stack([coarse, torch.zeros_like(coarse), -coarse * 0.299 / 0.114])[None]
    painted = (smoothed(astronaut) + 0.15 * chroma).clamp(0, 1)
    [face] = texture_columns(astronaut, painted, crops)
    assert face["texture_exceeds"] is True, face


def test_texture_the_style_put_everywhere_raises_the_bound(astronaut: torch.Tensor,
                                                          crops: torch.Tensor) -> None:
    everywhere = torch.ones(SIDE, SIDE)
    textured = with_maze(smoothed(astronaut), everywhere)
    [face] = texture_columns(astronaut, textured, crops)
    assert face["texture_ratio"] > 1.2
    assert face["texture_bound"] > face["texture_ratio"] and face["texture_exceeds"] is False


def test_the_bound_is_one_when_the_faces_cover_the_image(astronaut: torch.Tensor) -> None:
    whole = torch.tensor([[0.0, 0.0, SIDE, SIDE]])
    assert texture_bound(astronaut, smoothed(astronaut) * 0 + 0.5, whole) == 1.0


def test_an_empty_region_is_refused(astronaut: torch.Tensor) -> None:
    with pytest.raises(ValueError, match="at least one pixel"):
        texture_ratio(astronaut, astronaut, torch.zeros(SIDE, SIDE, dtype=torch.bool))
