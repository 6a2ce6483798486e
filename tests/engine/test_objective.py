"""The loss-term interface (docs/engine.md, Loss terms): the terms a job has, the models and
VGG-19 layers they declare, and a new term plugged in without touching the loop."""

from __future__ import annotations

from typing import ClassVar

import pytest
import torch
from PIL import Image

from backend.engine import ProgressEvent, model_needs, stylize
from backend.engine import objective as objective_module
from backend.engine.events import is_out_of_memory
from backend.engine.faces import FaceGuide
from backend.engine.fidelity import report_needs
from backend.engine.losses import CONTENT_LAYERS, STYLE_LAYERS, ContentLoss, StyleLoss, TVLoss
from backend.engine.objective import TERMS, vgg_layers
from backend.engine.terms import Features, Job, LossTerm, ScaleInputs
from backend.models.bundle import ModelBundle, ModelNeed
from backend.models.vgg import layer_index
from backend.weights import RandomWeightsWarning, WeightsConfig
from shared.options import Options
from tests.photos import photo

FACES_OFF = {"face_weight": 0.0, "mesh_weight": 0.0}
MESH_ON = {"mesh_weight": 0.015}  # the mesh term is opt-in (docs/faces.md)


def test_the_terms_are_the_references_then_the_faces() -> None:
    assert list(TERMS) == [ContentLoss, StyleLoss, TVLoss, FaceGuide]


def test_the_terms_declare_the_loss_names_of_the_progress_events() -> None:
    assert [name for term in TERMS for name in term.names] == ["content", "style", "tv", "face",
                                                                "mesh"]


def test_without_face_weights_a_job_needs_only_vgg19_with_its_pooling() -> None:
    assert model_needs(Options(pooling="l2", **FACES_OFF)) == [ModelNeed("vgg19", "l2")]


def test_face_terms_declare_the_detector_facenet_layers_and_facemesh() -> None:
    options = Options(face_layers=(0, 3), **MESH_ON)
    assert model_needs(options) == [ModelNeed("vgg19", "max"), ModelNeed("mtcnn"),
                                    ModelNeed("facenet", (0, 3)), ModelNeed("facemesh")]


def test_given_face_boxes_need_no_detector_and_a_zero_weight_no_network() -> None:
    needs = model_needs(Options(face_boxes=((1, 2, 30, 40),), face_weight=0.0, **MESH_ON))
    assert needs == [ModelNeed("vgg19", "max"), ModelNeed("facemesh")]


def test_the_vgg_layers_are_the_content_and_style_layers_in_network_order() -> None:
    layers = vgg_layers(Options())
    assert set(layers) == {*CONTENT_LAYERS, *STYLE_LAYERS}
    assert [layer_index(layer) for layer in layers] == [1, 6, 11, 20, 22, 29]


def test_preload_loads_what_the_terms_declare() -> None:
    bundle = ModelBundle("cpu", WeightsConfig(allow_random=True))
    with pytest.warns(RandomWeightsWarning):
        bundle.preload(model_needs(Options(pooling="average", face_weight=0.0, **MESH_ON)))
    assert bundle.loaded() == ["vgg19/average", "mtcnn", "facemesh"]


def test_the_fidelity_report_preloads_its_keypoint_judge_with_facemesh_and_the_detector(
) -> None:
    bundle = ModelBundle("cpu")
    bundle.preload(report_needs(Options(face_weight=0.0, mesh_weight=0.0)))
    assert bundle.loaded() == ["mtcnn", "facemesh", "face-detection"]


def test_with_given_face_boxes_the_report_needs_no_detector() -> None:
    assert report_needs(Options(face_boxes=((1, 2, 30, 40),))) == [ModelNeed("facemesh"),
                                                                   ModelNeed("face-detection")]


def test_an_unknown_model_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match="no model 'resnet'.*vgg19"):
        ModelBundle("cpu").load(ModelNeed("resnet"))


class MeanLevel(LossTerm[torch.Tensor]):
    """A term a test adds: ``(mean(x) − mean(c))²``, the iterate's mean level against the
    content's at each scale. Records the content sizes it was prepared at."""

    names = ("level",)
    prepared_at: ClassVar[list[tuple[int, int, int]]] = []

    @classmethod
    def needs(cls, options: Options) -> list[ModelNeed]:
        return []

    @classmethod
    def for_job(cls, job: Job, models: ModelBundle) -> MeanLevel:
        return cls()

    def prepare(self, inputs: ScaleInputs) -> torch.Tensor:
        self.prepared_at.append((inputs.scale, *inputs.content.shape[2:]))
        return inputs.content.mean()

    def losses(self, features: Features, targets: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"level": (features["input"].mean() - targets) ** 2}


def test_a_new_term_is_prepared_per_scale_and_summed_into_the_total(
        models: ModelBundle, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(objective_module, "TERMS", (*TERMS, MeanLevel))
    MeanLevel.prepared_at.clear()
    content = photo("astronaut").resize((48, 36), Image.LANCZOS)
    style = photo("gravel").resize((64, 64), Image.LANCZOS)
    events: list[ProgressEvent] = []
    options = Options(min_scale=32, end_scale=45, initial_iterations=2, iterations=2,
                      **FACES_OFF)
    stylize(content, [style], options=options, models=models, on_progress=events.append)
    assert MeanLevel.prepared_at == [(32, 24, 32), (45, 34, 45)]
    for event in events:
        assert set(event.losses) == {"total", "content", "style", "tv", "level"}
        parts = sum(value for name, value in event.losses.items() if name != "total")
        assert event.losses["total"] == pytest.approx(parts, rel=1e-5)
    assert events[-1].losses["level"] > 0


@pytest.mark.parametrize(("error", "expected"), [
    (MemoryError(), True),
    (torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"), True),
    (RuntimeError("[enforce fail at alloc_cpu.cpp:118] DefaultCPUAllocator: can't allocate "
                  "memory: you tried to allocate 1073741824 bytes"), True),
    (RuntimeError("MPS backend out of memory"), True),
    (RuntimeError("mat1 and mat2 shapes cannot be multiplied"), False),
    (ValueError("out of memory"), False),
])
def test_out_of_memory_is_recognised_by_type_or_allocator_message(error: BaseException,
                                                                 expected: bool) -> None:
    assert is_out_of_memory(error) is expected
