"""Models kept loaded between jobs, on one device."""

from __future__ import annotations

import gc
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import torch

from backend.models.face_detector import FaceDetector
from backend.models.face_keypoints import FaceKeypointJudge
from backend.models.facemesh import FaceMesh, load_facemesh
from backend.models.facenet import FaceNetFeatures, load_inception_resnet_v1
from backend.models.precision import use_channels_last
from backend.models.segmentation import PortraitSegmenter
from backend.models.vgg import LAYER_NAMES, VGGFeatures, load_vgg19_features
from backend.threads import ThreadPolicy
from backend.weights import MissingWeights, WeightsConfig, resolve


class DeviceError(Exception):
    """The requested device is not available here."""


def pick_device(name: str | torch.device = "auto") -> torch.device:
    """``auto``: CUDA, then Apple MPS, then CPU. An explicit device must be available."""
    if isinstance(name, torch.device):
        return name
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError as err:
        raise DeviceError(f"unknown device {name!r}; use auto, cpu, cuda or mps") from err
    if device.type == "cuda" and not torch.cuda.is_available():
        raise DeviceError("CUDA was requested but no CUDA GPU is available; use --device cpu")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise DeviceError("MPS was requested but is not available; use --device cpu")
    return device


@dataclass(frozen=True)
class ModelNeed:
    """A model a job needs, as a loss term declares it (``backend/engine/terms.py``), so that
    :meth:`ModelBundle.preload` loads it before any work.

    ``model``: ``"vgg19"`` (``variant``: the pooling), ``"facenet"`` (``variant``: the child
    indices), ``"facemesh"``, ``"mtcnn"``, ``"selfie-segmentation"`` or ``"face-detection"``
    (the fidelity report's keypoint judge; no variant).
    """

    model: str
    variant: Hashable = None


class ModelBundle:
    """Lazily loaded models, kept for the life of the bundle (a server holds one per device).

    ``weights_used`` records, per checkpoint, whether real weights (and from which file) or
    seeded random ones were loaded; results carry it in their metadata. ``threads``: how many
    CPU threads jobs on a CPU compute with (:mod:`backend.threads`); None leaves torch's own
    setting alone.
    """

    # Their weights come inside the installed mediapipe and facenet-pytorch wheels, so they
    # are never missing; the others are downloaded files (backend.weights.registry).
    SHIPPED_MODELS = frozenset({"mtcnn", "facemesh", "selfie-segmentation", "face-detection"})

    def __init__(self, device: str | torch.device = "auto",
                 weights: WeightsConfig | None = None,
                 threads: ThreadPolicy | None = None) -> None:
        self.device = pick_device(device)
        self.weights = weights or WeightsConfig()
        self.threads = threads
        self.weights_used: dict[str, str] = {}
        self._vgg_features: torch.nn.Sequential | None = None
        self._vgg: dict[str, VGGFeatures] = {}
        self._facenet_network: torch.nn.Module | None = None
        self._facenet: dict[tuple[int, ...], FaceNetFeatures] = {}
        self._face_detector: FaceDetector | None = None
        self._facemesh: FaceMesh | None = None
        self._segmenter: PortraitSegmenter | None = None
        self._face_judge: FaceKeypointJudge | None = None

    def vgg(self, pooling: str = "max") -> VGGFeatures:
        """VGG-19 features with the given pooling; callers name the layers they read. On CUDA
        in channels-last memory format (backend/models/precision.py)."""
        if pooling not in self._vgg:
            if self._vgg_features is None:
                path = resolve("vgg19", self.weights.vgg, self.weights.allow_random)
                self._vgg_features = load_vgg19_features(path)
                self.weights_used["vgg19"] = str(path) if path else "seeded random"
            self._vgg[pooling] = VGGFeatures(LAYER_NAMES, self._vgg_features,
                                             pooling).to(self.device)
            if self.device.type == "cuda":
                use_channels_last(self._vgg[pooling])
        return self._vgg[pooling]

    def facenet(self, layers: tuple[int, ...]) -> FaceNetFeatures:
        """FaceNet (InceptionResnetV1, VGGFace2) outputs at the given children."""
        layers = tuple(sorted(set(layers)))
        if layers not in self._facenet:
            if self._facenet_network is None:
                path = resolve("facenet-vggface2", self.weights.facenet,
                               self.weights.allow_random)
                self._facenet_network = load_inception_resnet_v1(path).to(self.device)
                self.weights_used["facenet-vggface2"] = str(path) if path else "seeded random"
            self._facenet[layers] = FaceNetFeatures(layers, self._facenet_network)
        return self._facenet[layers]

    def face_detector(self) -> FaceDetector:
        """MTCNN, with the weights bundled in facenet-pytorch."""
        if self._face_detector is None:
            self._face_detector = FaceDetector(self.device)
            self.weights_used["mtcnn"] = "facenet-pytorch wheel"
        return self._face_detector

    def facemesh(self) -> FaceMesh:
        """The differentiable FaceMesh, from the mediapipe wheel's face_landmark.tflite."""
        if self._facemesh is None:
            self._facemesh = load_facemesh(self.device)
            self.weights_used["facemesh"] = "mediapipe wheel"
        return self._facemesh

    def segmenter(self) -> PortraitSegmenter:
        """MediaPipe selfie segmentation (runs on the CPU through MediaPipe)."""
        if self._segmenter is None:
            self._segmenter = PortraitSegmenter()
            self.weights_used["selfie-segmentation"] = "mediapipe wheel"
        return self._segmenter

    def face_judge(self) -> FaceKeypointJudge:
        """MediaPipe's short-range face detector, the fidelity report's independent judge
        (runs on the CPU through MediaPipe)."""
        if self._face_judge is None:
            self._face_judge = FaceKeypointJudge()
            self.weights_used["face-detection"] = "mediapipe wheel"
        return self._face_judge

    def load(self, need: ModelNeed) -> object:
        """The model ``need`` names, loaded on first use; ValueError for an unknown name."""
        loaders = {"vgg19": self.vgg, "facenet": self.facenet, "facemesh": self.facemesh,
                   "mtcnn": self.face_detector, "selfie-segmentation": self.segmenter,
                   "face-detection": self.face_judge}
        if need.model not in loaders:
            raise ValueError(f"no model {need.model!r}; the bundle holds {', '.join(loaders)}")
        loader = loaders[need.model]
        return loader() if need.variant is None else loader(need.variant)

    def preload(self, needs: Iterable[ModelNeed]) -> None:
        """Load every model in ``needs`` (``backend.engine.model_needs(options)`` lists a
        job's), so missing weights fail before any work; every missing file is named at once
        (:class:`MissingWeights`), and then none of the models shipped in wheels is loaded."""
        needs = list(needs)
        missing = []
        for need in needs:
            if need.model not in self.SHIPPED_MODELS:
                try:
                    self.load(need)
                except MissingWeights as err:
                    missing.append(str(err))
        if missing:  # nothing more is loaded for a job that cannot run
            raise MissingWeights("\n".join(missing))
        for need in needs:
            if need.model in self.SHIPPED_MODELS:
                self.load(need)

    def loaded(self) -> list[str]:
        """Names of the models currently in memory."""
        names = [f"vgg19/{pooling}" for pooling in self._vgg]
        names += [f"facenet/{','.join(map(str, layers))}" for layers in self._facenet]
        optional = {"mtcnn": self._face_detector, "facemesh": self._facemesh,
                    "selfie-segmentation": self._segmenter, "face-detection": self._face_judge}
        return names + [name for name, model in optional.items() if model is not None]

    def release_memory(self) -> None:
        """Return cached device memory after a job; the models themselves stay loaded. (On the
        CPU there is no cache to return; a collection there would only cost time.)"""
        if self.device.type == "cuda":
            gc.collect()
            torch.cuda.empty_cache()
        elif self.device.type == "mps":
            gc.collect()
            torch.mps.empty_cache()
