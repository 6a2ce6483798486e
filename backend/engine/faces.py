"""The face terms: FaceID (FaceNet features) and mesh (FaceMesh landmarks) losses on the faces
of the content image (docs/faces.md; the paper's §4 and §6).

A :class:`FaceGuide`, the face :class:`~backend.engine.terms.LossTerm`, is made once per job.
At each scale it finds the faces (MTCNN, or the caller's boxes), crops the same padded boxes
from content and result, and returns a :class:`FaceTerms` whose targets are the content crops'
features. All faces' features are concatenated along the batch axis, so one loss per layer
covers every face.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import torch
from torch import nn
from torch.nn import functional as F
from torchvision.ops import roi_align

from backend.engine.face_robust import crop_sigmas, jittered_boxes, low_pass, reliability
from backend.engine.face_shape import region_masks
from backend.engine.losses import scaled_squared_error
from backend.engine.terms import Features, Job, LossTerm, ScaleInputs
from backend.models.bundle import ModelNeed
from backend.models.face_detector import FaceDetector
from backend.models.facemesh import FaceMesh
from backend.models.facenet import FaceNetFeatures
from shared.options import Options

if TYPE_CHECKING:
    from backend.models.bundle import ModelBundle

FACENET_SIZE = 160
FACEMESH_SIZE = 192
MAX_FACES = 8  # faces used at once, the largest: each costs ~36 MB of activations per step
FACE_CHUNK = 4  # faces through a model at once where they need not be together
# The face blur is at least this many pixels of the image: a 30-px face enlarged to 192 px
# with face_blur 2 was blurred by 0.3 image pixels and got per-pixel noise (issue 9).
MIN_BLUR_IMAGE_PX = 1.0
LUMA = (0.299, 0.587, 0.114)  # Rec. 601 luma weights of R, G, B


@dataclass
class ScaleFaces:
    """The faces used at one scale. ``crops``: ``(K, 4)`` float32 padded boxes
    ``x0, y0, x1, y1`` in pixels of that scale, clipped to the image; ``found`` / ``skipped``:
    JSON-ready descriptions for the metadata."""

    size: tuple[int, int]
    crops: torch.Tensor
    found: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def metadata(self) -> dict[str, Any]:
        return {"width": self.size[0], "height": self.size[1], "faces": self.found,
                "skipped": self.skipped}


def padded_box(box: tuple[float, float, float, float], padding: float, square: bool,
               size: tuple[int, int]) -> tuple[float, float, float, float]:
    """A face box grown by ``padding × long side`` on every side (and, when ``square``, by half
    the side difference on the short sides, as the paper's code does), clipped to the image
    ``size = (w, h)``."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    grow = max(w, h) * padding
    half_difference = abs(w - h) / 2 if square else 0.0
    grow_x = grow + (half_difference if w < h else 0.0)
    grow_y = grow + (half_difference if h < w else 0.0)
    return (max(x0 - grow_x, 0.0), max(y0 - grow_y, 0.0), min(x1 + grow_x, float(size[0])),
            min(y1 + grow_y, float(size[1])))


def _rounded(values: Any) -> list[float]:
    return [round(float(v), 2) for v in values]


def _as_boxes(crops: list[tuple[float, float, float, float]]) -> torch.Tensor:
    return torch.tensor(crops, dtype=torch.float32).reshape(-1, 4)


def _largest(faces: ScaleFaces) -> ScaleFaces:
    """``faces`` with only the :data:`MAX_FACES` largest crops kept (the rest skipped, with
    the reason), so memory stays bounded whatever a photo or a caller holds."""
    if len(faces.crops) <= MAX_FACES:
        return faces
    areas = (faces.crops[:, 2] - faces.crops[:, 0]) * (faces.crops[:, 3] - faces.crops[:, 1])
    keep = sorted(torch.argsort(areas, descending=True, stable=True)[:MAX_FACES].tolist())
    dropped = [{**face, "reason": f"beyond the {MAX_FACES} largest faces"}
               for i, face in enumerate(faces.found) if i not in keep]
    return ScaleFaces(faces.size, faces.crops[keep], [faces.found[i] for i in keep],
                      faces.skipped + dropped)


class FaceLocator:
    """Face crop boxes for each scale of one content image, cached per scale.

    ``content_size``: ``(w, h)`` of the full-resolution content, the frame of
    ``options.face_boxes``. ``detector`` is needed only when no boxes are given.
    """

    def __init__(self, content_size: tuple[int, int], options: Options,
                 detector: FaceDetector | None) -> None:
        if not options.face_boxes and detector is None:
            raise ValueError("a face detector is needed when no face boxes are given")
        self.content_size = content_size
        self.options = options
        self.detector = detector
        self._scales: dict[tuple[int, int], ScaleFaces] = {}

    @property
    def source(self) -> str:
        return "caller" if self.options.face_boxes else "mtcnn"

    def at(self, content: torch.Tensor) -> ScaleFaces:
        """The faces of ``content``, ``(1, 3, H, W)`` in [0, 1], one scale of the content."""
        h, w = content.shape[2:]
        if (w, h) not in self._scales:
            if self.options.face_boxes:
                faces = self._given_boxes((w, h))
            else:
                faces = self._detected_boxes(content)
            self._scales[(w, h)] = faces
        return self._scales[(w, h)]

    def _given_boxes(self, size: tuple[int, int]) -> ScaleFaces:
        sx, sy = size[0] / self.content_size[0], size[1] / self.content_size[1]
        crops, found, skipped = [], [], []
        for x0, y0, x1, y1 in self.options.face_boxes:
            box = (x0 * sx, y0 * sy, x1 * sx, y1 * sy)
            crop = padded_box(box, self.options.face_padding, self.options.square_faces, size)
            if crop[2] - crop[0] < 1 or crop[3] - crop[1] < 1:
                skipped.append({"box": _rounded(box), "reason": "outside the image"})
                continue
            crops.append(crop)
            found.append({"box": _rounded(box), "crop": _rounded(crop)})
        return _largest(ScaleFaces(size, _as_boxes(crops), found, skipped))

    def _detected_boxes(self, content: torch.Tensor) -> ScaleFaces:
        h, w = content.shape[2:]
        options = self.options
        detections = self.detector.detect(content, min_size=options.min_face_size)
        crops, found, skipped = [], [], []
        for box, probability in zip(detections.boxes, detections.probabilities, strict=True):
            described = {"box": _rounded(box), "probability": round(float(probability), 4)}
            short_side = min(box[2] - box[0], box[3] - box[1])
            if probability < options.face_threshold:
                skipped.append({**described, "reason": f"confidence below face_threshold "
                                f"{options.face_threshold:g}"})
            elif short_side < options.min_face_size:
                skipped.append({**described, "reason": f"smaller than min_face_size "
                                f"{options.min_face_size} px"})
            else:
                crop = padded_box(tuple(box), options.face_padding, options.square_faces,
                                  (w, h))
                crops.append(crop)
                found.append({**described, "crop": _rounded(crop)})
        return _largest(ScaleFaces((w, h), _as_boxes(crops), found, skipped))

    def metadata(self) -> list[dict[str, Any]]:
        """What was found at each scale so far, smallest first."""
        return [faces.metadata() for _, faces in sorted(self._scales.items())]


def crop_faces(image: torch.Tensor, crops: torch.Tensor, size: int) -> torch.Tensor:
    """Differentiable crops of ``image`` ``(1, 3, H, W)``, each resized (bilinear, averaging
    several samples per output pixel when shrinking) to ``(K, 3, size, size)``.
    ``crops``: ``(K, 4)`` boxes in pixel-edge coordinates."""
    rois = torch.cat([crops.new_zeros(len(crops), 1), crops], dim=1).to(image)
    return roi_align(image, rois, output_size=size, spatial_scale=1.0, sampling_ratio=-1,
                     aligned=True)


@dataclass
class Robustness:
    """How the face terms resist adversarial texture (:mod:`backend.engine.face_robust`).
    ``blur``: Gaussian σ in pixels of the networks' inputs (0: none); ``jitter``: the crops'
    random shift and scale per call, a fraction of their side (0: none), drawn from
    ``generator``; ``weigh_faces``: weight each face's mesh loss by its landmarks'
    reliability; ``min_image_blur``: the blur's least σ in pixels of the image
    (:func:`~backend.engine.face_robust.crop_sigmas`)."""

    blur: float = 0.0
    min_image_blur: float = 0.0
    jitter: float = 0.0
    generator: torch.Generator | None = None
    weigh_faces: bool = False


class FaceTerms(nn.Module):
    """The weighted face losses of one scale against the content's faces.

    ``content``: ``(1, 3, H, W)`` in [0, 1]. ``crops``: ``(K, 4)`` face boxes, or None for the
    whole-image mode (FaceNet sees the whole image at its size, FaceMesh a 192×192 resize).
    Calling it with the iterate ``(1, 3, H, W)`` returns ``{"face": ..., "mesh": ...}`` (only
    the terms whose weight is above zero), each a scalar tensor.

    In crop mode each crop sees ``mask·x + (1 − mask)·x.detach()``, ``masks`` giving for each
    network input size ``s`` (160, 192) the ``(K or 1, 1, s, s)`` weights in [0, 1] of every
    crop (:func:`~backend.engine.face_shape.region_masks`): the features are the real crop's,
    but the terms pull only where the mask does (the face, feathered), so the result shows no
    rectangle where a box ends. ``robust`` (crop mode): blurred, jittered crops and faces
    weighted by reliability (:class:`Robustness`); the default is none of these.
    ``region_error`` (crop mode): the FaceID error counts only the features inside the masks
    (:meth:`_in_region`); off, those of the whole crop. ``luma``: FaceNet sees the crops'
    luma (:data:`LUMA`) in all three channels, so the face may change colour freely.
    """

    def __init__(self, content: torch.Tensor, crops: torch.Tensor | None,
                 facenet: FaceNetFeatures | None, facemesh: FaceMesh | None,
                 face_weight: float, mesh_weight: float,
                 masks: dict[int, torch.Tensor] | None = None,
                 robust: Robustness | None = None, region_error: bool = False,
                 luma: bool = False) -> None:
        super().__init__()
        self.region_error, self.luma = region_error, luma
        self.content = content
        self.crops = None if crops is None else crops.to(content.device)
        self.robust = robust or Robustness()
        if self.crops is None or self.robust.generator is None:
            self.robust = replace(self.robust, jitter=0.0)
        self.facenet = facenet if face_weight > 0 else None
        self.facemesh = facemesh if mesh_weight > 0 else None
        if self.facenet is None and self.facemesh is None:
            raise ValueError("face terms need face_weight or mesh_weight above zero")
        self.face_weight = face_weight
        self.mesh_weight = mesh_weight
        if crops is not None and masks is None:
            raise ValueError("face crops need their masks")
        self.masks = masks or {}
        self.face_weights = None
        with torch.no_grad():
            self.face_targets = self._facenet_features(content) if self.facenet else {}
            self.mesh_target = self._landmarks(content) if self.facemesh else None
        if self.facemesh is not None and self.robust.weigh_faces:
            self.face_weights = self._mesh_reliability(content)[:, None, None]

    @property
    def n_faces(self) -> int:
        return 1 if self.crops is None else len(self.crops)

    def _mesh_reliability(self, content: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            output = self.facemesh(self._faces(content, FACEMESH_SIZE))
        return reliability(output.landmarks, torch.sigmoid(output.presence_logits).flatten())

    def _faces(self, image: torch.Tensor, size: int, boxes: torch.Tensor | None = None,
               blurred: bool = True) -> torch.Tensor:
        """The crops at ``size`` px, gradient inside the masks only; ``blurred`` (FaceMesh's:
        texture fools it; FaceNet's stay sharp for identity, docs/faces.md)."""
        boxes = self.crops if boxes is None else boxes
        faces = crop_faces(image, boxes, size)
        if faces.requires_grad:
            mask = self.masks[size]
            faces = mask * faces + (1 - mask) * faces.detach()
        blur = self.robust.blur if blurred else 0.0
        return low_pass(faces, crop_sigmas(boxes, size, blur, self.robust.min_image_blur))

    def _facenet_features(self, image: torch.Tensor,
                          boxes: torch.Tensor | None = None) -> dict[int, torch.Tensor]:
        faces = (image if self.crops is None
                 else self._faces(image, FACENET_SIZE, boxes, blurred=False))
        if self.luma:
            faces = (faces * faces.new_tensor(LUMA)[:, None, None]).sum(1, keepdim=True)
            faces = faces.expand(-1, 3, -1, -1)
        return self.facenet(faces)

    def _landmarks(self, image: torch.Tensor, boxes: torch.Tensor | None = None) -> torch.Tensor:
        if self.crops is None:
            faces = F.interpolate(image, size=(FACEMESH_SIZE, FACEMESH_SIZE), mode="bilinear",
                                  align_corners=False, antialias=True)
        else:
            faces = self._faces(image, FACEMESH_SIZE, boxes)
        return self.facemesh(faces).landmarks

    def _in_region(self, features: torch.Tensor,
                   target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """FaceNet ``features`` and their ``target`` ``(K, C, h, w)``, with ``region_error``
        each position weighted by its crop's mask area-resized to ``(h, w)``; otherwise (and
        in whole-image mode) unchanged. Weighted, the error counts only what the mask lets the
        term pull. Unweighted, the background's errors inside the crop (held by no face term)
        stay in ``E = Σd² / Σ|d|``, and E is lowered by raising the errors smaller than
        ``E / 2``: its least value over the face's features alone lies at ``|d| = E / 2``,
        not at 0, whatever the face weight (docs/faces.md, "What holds identity back")."""
        if self.crops is None or not self.region_error:
            return features, target
        mask = F.interpolate(self.masks[FACENET_SIZE], size=features.shape[-2:], mode="area")
        return features * mask, target * mask

    def _boxes_and_targets(self) -> tuple[torch.Tensor | None, dict[int, torch.Tensor],
                                          torch.Tensor | None]:
        """This call's crops and the content's features on them: the fixed ones, or (with
        jitter) freshly drawn boxes and the content's features recomputed on those."""
        if self.robust.jitter <= 0:
            return None, self.face_targets, self.mesh_target
        h, w = self.content.shape[2:]
        boxes = jittered_boxes(self.crops, self.robust.jitter, self.robust.generator, (w, h))
        with torch.no_grad():
            face_targets = self._facenet_features(self.content, boxes) if self.facenet else {}
            mesh_target = self._landmarks(self.content, boxes) if self.facemesh else None
        return boxes, face_targets, mesh_target

    def forward(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        terms = {}
        boxes, face_targets, mesh_target = self._boxes_and_targets()
        if self.facenet is not None:
            features = self._facenet_features(image, boxes)
            per_layer = self.face_weight / len(face_targets)
            terms["face"] = sum(scaled_squared_error(*self._in_region(features[layer], target))
                                for layer, target in face_targets.items()) * per_layer
        if self.facemesh is not None:
            landmarks = self._landmarks(image, boxes)
            if self.face_weights is not None:
                landmarks, mesh_target = (landmarks * self.face_weights,
                                          mesh_target * self.face_weights)
            terms["mesh"] = scaled_squared_error(landmarks, mesh_target) * self.mesh_weight
        return terms


class FaceGuide(LossTerm[FaceTerms]):
    """The face terms of one job: finds faces at each scale (cached) and builds their losses.

    ``content_size``: ``(w, h)`` of the full-resolution content image (the frame of
    ``options.face_boxes``). Models come from ``models`` and are loaded only when needed.
    As a loss term it reports ``face`` and ``mesh`` (those whose weight is above zero), and is
    off at a scale where no face is found.
    """

    names = ("face", "mesh")

    def __init__(self, content_size: tuple[int, int], options: Options,
                 models: ModelBundle) -> None:
        self.options = options
        detector = None if options.face_boxes else models.face_detector()
        self.locator = FaceLocator(content_size, options, detector)
        self.facenet = models.facenet(options.face_layers) if options.face_weight > 0 else None
        self.facemesh = models.facemesh() if options.mesh_weight > 0 else None
        self.shape_mesh = models.facemesh() if self._oval(options) else None
        # The jitter's own stream, seeded per job, so the face terms draw the same boxes
        # whatever else the job samples.
        self.robust = Robustness(options.face_blur, MIN_BLUR_IMAGE_PX, options.face_jitter,
                                 torch.Generator().manual_seed(options.random_seed),
                                 options.face_reliability)

    @staticmethod
    def _oval(options: Options) -> bool:
        return options.face_crops and options.face_shape == "oval"

    @classmethod
    def wanted(cls, options: Options) -> bool:
        return options.faces_enabled

    @classmethod
    def needs(cls, options: Options) -> list[ModelNeed]:
        needs = [] if options.face_boxes else [ModelNeed("mtcnn")]
        if options.face_weight > 0:
            needs.append(ModelNeed("facenet", options.face_layers))
        if options.mesh_weight > 0 or cls._oval(options):
            needs.append(ModelNeed("facemesh"))
        return needs

    @classmethod
    def for_job(cls, job: Job, models: ModelBundle) -> FaceGuide:
        return cls(job.content.size, job.options, models)

    def prepare(self, inputs: ScaleInputs) -> FaceTerms | None:
        return self.for_scale(inputs.content)

    def losses(self, features: Features, targets: FaceTerms) -> dict[str, torch.Tensor]:
        return targets(features["input"])

    def for_scale(self, content: torch.Tensor) -> FaceTerms | None:
        """Face terms against ``content`` ``(1, 3, H, W)`` in [0, 1], or None when no face is
        found at this scale."""
        faces = self.locator.at(content)
        if len(faces.crops) == 0:
            return None
        options = self.options
        if not options.face_crops:
            return FaceTerms(content, None, self.facenet, self.facemesh, options.face_weight,
                             options.mesh_weight, luma=options.face_luma)
        masks, regions = region_masks(crop_faces(content, faces.crops, FACEMESH_SIZE),
                                      (FACENET_SIZE, FACEMESH_SIZE), self.shape_mesh,
                                      options.face_feather)
        for found, region in zip(faces.found, regions, strict=True):
            found["region"] = region
        return FaceTerms(content, faces.crops, self.facenet, self.facemesh, options.face_weight,
                         options.mesh_weight, masks, self.robust, options.face_region_error,
                         options.face_luma)

    def metadata(self) -> dict[str, Any]:
        """JSON-ready: the mode, where boxes came from, the faces per scale, and notes."""
        scales = self.locator.metadata()
        notes = [f"no face found at {s['width']}x{s['height']}: face terms off at this scale"
                 for s in scales if not s["faces"]]
        if scales and len(notes) == len(scales):
            notes = ["no face found: face terms off"]
        return {"mode": "crops" if self.options.face_crops else "whole_image",
                "source": self.locator.source, "scales": scales, "notes": notes}
