"""Face terms that texture cannot satisfy: blurred and jittered crops, faces weighted by the
reliability of their landmarks (real FaceMesh and MTCNN, FaceNet seeded random)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from backend.engine.face_robust import crop_sigmas, jittered_boxes, low_pass, reliability
from backend.engine.faces import FaceGuide
from backend.engine.texture import laplacian
from backend.models.bundle import ModelBundle
from shared.options import Options
from tests.photos import photo

SIDE = 192


@pytest.fixture(scope="module")
def astronaut() -> torch.Tensor:
    image = photo("astronaut").resize((SIDE, SIDE), Image.LANCZOS)
    return torch.from_numpy(np.array(image, dtype=np.float32) / 255).permute(2, 0, 1)[None]


def test_without_blur_the_crops_are_untouched() -> None:
    faces = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    assert low_pass(faces, 0.0) is faces


def test_the_blur_keeps_flat_crops_and_removes_fine_texture() -> None:
    flat = torch.full((1, 3, 32, 32), 0.3)
    assert torch.allclose(low_pass(flat, 2.0), flat)
    checker = (torch.arange(32)[:, None] + torch.arange(32)[None, :]) % 2
    texture = checker.float().expand(1, 3, 32, 32)
    assert float(low_pass(texture, 2.0).std()) < 0.01 * float(texture.std())


def test_a_small_face_is_blurred_by_at_least_the_least_sigma_in_image_pixels() -> None:
    crops = torch.tensor([[0.0, 0.0, 192.0, 192.0], [10.0, 10.0, 40.0, 50.0]])
    large, small = crop_sigmas(crops, 192, 2.0, 1.0)
    assert large == 2.0  # 2 crop pixels are 2 image pixels: already enough
    assert small == pytest.approx(192 / 30)  # 1 image pixel of the 30-px short side
    assert crop_sigmas(crops, 192, 0.0, 1.0) == [0.0, 0.0]
    assert crop_sigmas(torch.tensor([[0.0, 0.0, 2.0, 2.0]]), 192, 2.0, 1.0) == [32.0]


def test_each_face_gets_its_own_blur() -> None:
    faces = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    both = low_pass(faces, [1.0, 3.0])
    assert torch.equal(both[:1], low_pass(faces[:1], 1.0))
    assert torch.equal(both[1:], low_pass(faces[1:], 3.0))


def test_jittered_boxes_stay_in_the_image_and_near_the_crop() -> None:
    crops = torch.tensor([[0.0, 0.0, 50.0, 60.0], [100.0, 40.0, 150.0, 90.0]])
    generator = torch.Generator().manual_seed(3)
    for _ in range(50):
        boxes = jittered_boxes(crops, 0.1, generator, (160, 100))
        assert bool((boxes[:, :2] >= 0).all()) and bool((boxes[:, 2] <= 160).all())
        assert bool((boxes[:, 3] <= 100).all())
        sides = boxes[:, 2:] - boxes[:, :2]
        assert bool(((sides / (crops[:, 2:] - crops[:, :2]) - 1).abs() <= 0.1 + 1e-5).all())


def test_jittered_boxes_follow_the_seed() -> None:
    crops = torch.tensor([[10.0, 10.0, 60.0, 60.0]])
    first = jittered_boxes(crops, 0.05, torch.Generator().manual_seed(7), (100, 100))
    again = jittered_boxes(crops, 0.05, torch.Generator().manual_seed(7), (100, 100))
    other = jittered_boxes(crops, 0.05, torch.Generator().manual_seed(8), (100, 100))
    assert torch.equal(first, again) and not torch.equal(first, other)


def test_a_profile_face_is_less_reliable_than_a_frontal_one() -> None:
    landmarks = torch.zeros(2, 468, 3)
    landmarks[:, 33, 0], landmarks[:, 263, 0] = 60.0, 120.0
    landmarks[0, 1, 0], landmarks[1, 1, 0] = 90.0, 115.0  # nose midway; nose near one eye
    weights = reliability(landmarks, torch.tensor([1.0, 1.0]))
    assert float(weights[0]) == pytest.approx(1.0)
    assert float(weights[1]) == pytest.approx(1 - abs(2 * 55 / 60 - 1))
    assert float(reliability(landmarks, torch.tensor([0.5, 0.5]))[0]) == pytest.approx(0.5)


def mesh_gradient(models: ModelBundle, astronaut: torch.Tensor, **robust: object) -> torch.Tensor:
    options = Options(face_weight=0.0, mesh_weight=1.0, **robust)
    terms = FaceGuide((SIDE, SIDE), options, models).for_scale(astronaut)
    noise = 0.05 * torch.randn(astronaut.shape, generator=torch.Generator().manual_seed(2))
    image = (astronaut + noise).clamp(0, 1).requires_grad_()
    terms(image)["mesh"].backward()
    return image.grad


def fineness(gradient: torch.Tensor) -> float:
    """Share of the gradient's energy in fine detail: RMS of its Laplacian over its RMS."""
    return float(laplacian(gradient).square().mean().sqrt() / gradient.square().mean().sqrt())


def test_blurred_crops_give_the_mesh_term_a_smooth_gradient(models: ModelBundle,
                                                            astronaut: torch.Tensor) -> None:
    sharp = mesh_gradient(models, astronaut, face_blur=0.0)
    blurred = mesh_gradient(models, astronaut, face_blur=2.0)
    assert fineness(blurred) < 0.7 * fineness(sharp)  # measured 0.60


def test_the_blur_is_the_mesh_terms_alone_facenet_sees_sharp_crops(
        models: ModelBundle, astronaut: torch.Tensor) -> None:
    """FaceID alone paints no maze, and the blur took the detail identity is made of
    (docs/faces.md, "What holds identity back"): face_blur leaves the FaceID term as it is."""
    noise = 0.05 * torch.randn(astronaut.shape, generator=torch.Generator().manual_seed(3))
    image = (astronaut + noise).clamp(0, 1)

    def face_loss(blur: float) -> float:
        options = Options(face_weight=1.0, mesh_weight=0.0, face_blur=blur)
        return float(FaceGuide((SIDE, SIDE), options, models).for_scale(astronaut)(image)["face"])

    assert face_loss(0.0) == face_loss(2.0) == face_loss(4.0) > 0
    assert not torch.equal(mesh_gradient(models, astronaut, face_blur=0.0),
                           mesh_gradient(models, astronaut, face_blur=2.0))


def test_jittered_face_terms_repeat_with_the_seed(models: ModelBundle,
                                                  astronaut: torch.Tensor) -> None:
    def losses(seed: int) -> list[float]:
        options = Options(face_weight=0.0, mesh_weight=1.0, face_jitter=0.05, random_seed=seed)
        terms = FaceGuide((SIDE, SIDE), options, models).for_scale(astronaut)
        brighter = (astronaut + 0.1).clamp(0, 1)
        return [float(terms(brighter)["mesh"]) for _ in range(3)]

    first = losses(4)
    assert first == losses(4) and first != losses(5)
    assert len(set(first)) == 3, "each call draws new boxes"
