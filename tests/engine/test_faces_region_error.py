"""The FaceID error over the face region alone (``face_region_error``) and on luma
(``face_luma``). With the background inside a crop far from the content's, the whole crop's
error pushes the face's features away from the content's, the face's own error pulls them back
(astronaut, real MTCNN and FaceMesh, FaceNet seeded random; docs/faces.md, "What holds identity
back")."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torch.nn import functional as F

from backend.engine.faces import FACENET_SIZE, FaceGuide, FaceTerms
from backend.engine.losses import scaled_squared_error
from backend.models.bundle import ModelBundle
from shared.options import Options
from tests.photos import photo

SIDE = 192


@pytest.fixture(scope="module")
def terms(models: ModelBundle) -> tuple[FaceTerms, torch.Tensor, torch.Tensor]:
    """The face terms of the astronaut (blur 0), the content, and an iterate whose face is
    the content's plus a noise of ±0.025 and whose background inside the crop has six times
    as much."""
    image = photo("astronaut").resize((SIDE, SIDE), Image.LANCZOS)
    content = torch.from_numpy(np.array(image, dtype=np.float32) / 255).permute(2, 0, 1)[None]
    guide = FaceGuide((SIDE, SIDE), Options(face_region_error=False, face_luma=False), models)
    face_terms = guide.for_scale(content)
    (x0, y0, x1, y1), = face_terms.crops.round().int().tolist()
    mask = torch.zeros(1, 1, SIDE, SIDE)
    mask[..., y0:y1, x0:x1] = F.interpolate(face_terms.masks[FACENET_SIZE], size=(y1 - y0,
                                            x1 - x0), mode="bilinear", align_corners=False)
    noise = torch.rand(content.shape, generator=torch.Generator().manual_seed(4)) - 0.5
    iterate = (content + noise * (0.05 * mask + 0.3 * (1 - mask))).clamp(0, 1)
    return face_terms, content, iterate


def test_the_scaled_error_is_least_with_the_face_off_target_while_the_rest_is() -> None:
    """``E = Σd² / Σ|d|`` with 100 background errors of 1 held: a face error of E/2 on 100
    more lowers E below its value with the face exact (1), which is why the whole crop's error
    does not hold the face at its target."""
    held = torch.ones(100)
    exact = scaled_squared_error(torch.cat([held, torch.zeros(100)]), torch.zeros(200))
    assert float(exact) == pytest.approx(1.0)
    off = scaled_squared_error(torch.cat([held, torch.full((100,), 0.5)]), torch.zeros(200))
    assert float(off) == pytest.approx(1.25 / 1.5)
    assert float(off) < float(exact)


def face_error(face_terms: FaceTerms, image: torch.Tensor) -> float:
    """The FaceID error over the face region alone."""
    face_terms.region_error = True
    return float(face_terms(image)["face"])


def step(face_terms: FaceTerms, image: torch.Tensor, region_error: bool) -> torch.Tensor:
    """One small gradient-descent step on the FaceID error, over the face or the crop."""
    face_terms.region_error = region_error
    image = image.clone().requires_grad_()
    face_terms(image)["face"].backward()
    return (image - 0.01 * image.grad / image.grad.abs().max()).detach()


def test_the_whole_crops_error_pushes_the_face_away_and_the_faces_own_pulls_it_back(
        terms: tuple[FaceTerms, torch.Tensor, torch.Tensor]) -> None:
    face_terms, _, iterate = terms
    before = face_error(face_terms, iterate)
    assert face_error(face_terms, step(face_terms, iterate, True)) < 0.99 * before
    assert face_error(face_terms, step(face_terms, iterate, False)) > 1.01 * before


def test_the_region_error_and_luma_are_on_by_default_and_the_error_is_zero_at_the_content(
        terms: tuple[FaceTerms, torch.Tensor, torch.Tensor]) -> None:
    face_terms, content, _ = terms
    assert Options().face_region_error and Options().face_luma
    assert face_error(face_terms, content) == 0.0


def test_with_face_luma_a_change_of_colour_alone_costs_nothing(
        models: ModelBundle, terms: tuple[FaceTerms, torch.Tensor, torch.Tensor]) -> None:
    """``face_luma``: a change of the face's colour that keeps its luma leaves the FaceID
    error at 0, where the colour crops see it."""
    colour, content, _ = terms
    grey = FaceGuide((SIDE, SIDE), Options(face_region_error=True, face_luma=True),
                     models).for_scale(content)
    # Orthogonal to the Rec. 601 luma weights: (0.587, -0.299, 0) · (0.299, 0.587, 0.114) = 0.
    recoloured = content + 0.05 * torch.tensor([0.587, -0.299, 0.0])[None, :, None, None]
    assert face_error(colour, recoloured) > 1e-3
    assert float(grey(recoloured)["face"]) < 1e-5
    assert float(grey(content)["face"]) == 0.0
