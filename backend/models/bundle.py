"""Models kept loaded between jobs, on one device."""

from __future__ import annotations

import gc

import torch

from backend.models.face_detector import FaceDetector
from backend.models.facemesh import FaceMesh, load_facemesh
from backend.models.facenet import FaceNetFeatures, load_inception_resnet_v1
from backend.models.segmentation import PortraitSegmenter
from backend.models.vgg import VGGFeatures, load_vgg19_features
from backend.weights import MissingWeights, WeightsConfig, resolve
from shared.options import Options

VGG_LAYERS = [1, 6, 11, 20, 22, 29]


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


class ModelBundle:
    """Lazily loaded models, kept for the life of the bundle (a server holds one per device).

    ``weights_used`` records, per checkpoint, whether real weights (and from which file) or
    seeded random ones were loaded; results carry it in their metadata.
    """

    def __init__(self, device: str | torch.device = "auto",
                 weights: WeightsConfig | None = None) -> None:
        self.device = pick_device(device)
        self.weights = weights or WeightsConfig()
        self.weights_used: dict[str, str] = {}
        self._vgg_features: torch.nn.Sequential | None = None
        self._vgg: dict[str, VGGFeatures] = {}
        self._facenet_network: torch.nn.Module | None = None
        self._facenet: dict[tuple[int, ...], FaceNetFeatures] = {}
        self._face_detector: FaceDetector | None = None
        self._facemesh: FaceMesh | None = None
        self._segmenter: PortraitSegmenter | None = None

    def vgg(self, pooling: str = "max") -> VGGFeatures:
        """VGG-19 features at the content and style layers, with the given pooling."""
        if pooling not in self._vgg:
            if self._vgg_features is None:
                path = resolve("vgg19", self.weights.vgg, self.weights.allow_random)
                self._vgg_features = load_vgg19_features(path)
                self.weights_used["vgg19"] = str(path) if path else "seeded random"
            self._vgg[pooling] = VGGFeatures(VGG_LAYERS, self._vgg_features,
                                             pooling).to(self.device)
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

    def preload(self, options: Options) -> None:
        """Load what a job with ``options`` needs, so missing weights fail before any work;
        every missing file is named at once."""
        loaders = [lambda: self.vgg(options.pooling)]
        if options.face_weight > 0:
            loaders.append(lambda: self.facenet(options.face_layers))
        missing = []
        for load in loaders:
            try:
                load()
            except MissingWeights as err:
                missing.append(str(err))
        if missing:
            raise MissingWeights("\n".join(missing))

    def loaded(self) -> list[str]:
        """Names of the models currently in memory."""
        names = [f"vgg19/{pooling}" for pooling in self._vgg]
        names += [f"facenet/{','.join(map(str, layers))}" for layers in self._facenet]
        optional = {"mtcnn": self._face_detector, "facemesh": self._facemesh,
                    "selfie-segmentation": self._segmenter}
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
