"""The engine's options: one typed, validated definition.

The CLI flags, the protocol's ``options`` object and the GIMP dialog are all generated from
:class:`Options`; nothing else defines a default, a range or a help text. Pure Python, so GIMP's
interpreter can import it without torch or numpy.
"""

from __future__ import annotations

import math
from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any


class OptionsError(ValueError):
    """An option is unknown, of the wrong type, or outside its range."""


def _option(default: Any, help: str, *, minimum: float | None = None,
            maximum: float | None = None, choices: tuple[str, ...] | None = None,
            group: str = "style", flag: str | None = None) -> Any:
    """A dataclass field carrying what the CLI, the protocol and the GIMP dialog need."""
    metadata = {"help": help, "minimum": minimum, "maximum": maximum, "choices": choices,
                "group": group, "flag": flag}
    if isinstance(default, (list, tuple)):
        return field(default_factory=lambda: type(default)(default), metadata=metadata)
    return field(default=default, metadata=metadata)


INIT_CHOICES = ("content", "gray", "uniform", "style_mean")
POOLING_CHOICES = ("max", "average", "l2")
BACKGROUND_CHOICES = ("keep", "flat", "restore", "alpha")
FACENET_CHILDREN = 15  # InceptionResnetV1 children usable as feature layers (0..14)


@dataclass
class Options:
    """Everything that shapes one stylization. Defaults follow Crowson's style-transfer-pytorch
    (commit 1107fe6) for the style terms and the paper's examples for the face terms."""

    content_weight: float = _option(0.015, "weight of the VGG-19 content loss (relu4_2)",
                                    minimum=0.0, maximum=1e4)
    tv_weight: float = _option(2.0, "weight of the L2 total variation (smoothing) loss",
                               minimum=0.0, maximum=1e4)
    min_scale: int = _option(128, "the first scale (long side, pixels)", minimum=32,
                             maximum=8192)
    end_scale: int = _option(512, "the final scale and output long side, in pixels",
                             minimum=32, maximum=8192)
    iterations: int = _option(500, "Adam iterations at each scale after the first",
                              minimum=1, maximum=100000)
    initial_iterations: int = _option(1000, "Adam iterations at the first scale", minimum=1,
                                      maximum=100000)
    step_size: float = _option(0.02, "Adam learning rate", minimum=1e-6, maximum=1.0)
    avg_decay: float = _option(0.99, "decay of the iterate average (EMA)", minimum=0.0,
                               maximum=0.9999)
    init: str = _option("content", "initial image", choices=INIT_CHOICES)
    style_scale_fac: float = _option(1.0, "style image size relative to the content scale",
                                     minimum=0.01, maximum=100.0)
    style_size: int | None = _option(None, "fixed style image long side in pixels "
                                     "(overrides style_scale_fac)", minimum=32, maximum=8192)
    pooling: str = _option("max", "VGG-19 pooling", choices=POOLING_CHOICES)
    random_seed: int = _option(0, "random seed for the initial noise", minimum=0,
                               maximum=2**63 - 1)

    face_weight: float = _option(0.25, "weight of the FaceID loss (FaceNet features); 0 turns "
                                 "it off", minimum=0.0, maximum=1e4, group="faces")
    mesh_weight: float = _option(0.015, "weight of the FaceMesh landmark loss; 0 turns it off",
                                 minimum=0.0, maximum=1e4, group="faces")
    face_layers: tuple[int, ...] = _option(
        (0, 1, 3, 4, 5), "InceptionResnetV1 children whose outputs the FaceID loss compares "
        "(the paper's code: 0,1,3,4,5; its text: conv_1a, conv_2a, maxpool_3a, conv_4a, conv_4b "
        "= 0,1,3,5,6)", group="faces")
    face_padding: float = _option(0.2, "padding around each face box, as a fraction of its long "
                                  "side", minimum=0.0, maximum=2.0, group="faces")
    square_faces: bool = _option(False, "pad face boxes to squares", group="faces")
    face_crops: bool = _option(True, "compare face crops; the --no-face-crops flag sends the "
                               "whole image through the face models instead", group="faces",
                               flag="no-face-crops")
    min_face_size: int = _option(20, "ignore detected faces whose short side is smaller "
                                 "(pixels at the scale being processed)", minimum=1,
                                 maximum=8192, group="faces")
    face_threshold: float = _option(0.95, "MTCNN confidence needed to accept a face",
                                    minimum=0.0, maximum=1.0, group="faces")
    face_boxes: tuple[tuple[float, float, float, float], ...] = _option(
        (), "face boxes X0,Y0,X1,Y1 in content pixels; given, they replace detection",
        group="faces", flag="face-box")
    face_feather: float = _option(0.15, "width of the fade of the face terms toward the crop "
                                  "border, as a fraction of the crop side", minimum=0.0,
                                  maximum=0.5, group="faces")

    background: str = _option("keep", "background handling: keep it; flat (replace with a "
                              "colour before stylizing); restore (stylize on flat, put the "
                              "original back); alpha (matte becomes the output alpha)",
                              choices=BACKGROUND_CHOICES, group="background")
    background_colour: tuple[int, int, int] = _option(
        (255, 255, 255), "flat background colour R,G,B (0-255)", group="background")

    def __post_init__(self) -> None:
        validate(self)

    @property
    def faces_enabled(self) -> bool:
        return self.face_weight > 0 or self.mesh_weight > 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (tuples become lists)."""
        return _jsonable(asdict(self))

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Options:
        """Build from a (possibly partial) dict, as carried by the protocol; unknown keys fail."""
        if not isinstance(values, dict):
            raise OptionsError(f"options must be an object, not {type(values).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise OptionsError(f"unknown option(s): {', '.join(unknown)}; known: "
                               f"{', '.join(sorted(known))}")
        return cls(**{name: _coerce(name, value) for name, value in values.items()})

    def replace(self, **changes: Any) -> Options:
        return Options.from_dict({**asdict(self), **changes})


def option_specs() -> list[dict[str, Any]]:
    """Name, type, default and metadata of every option, in declaration order (for generated
    interfaces: the CLI, the protocol reference, the GIMP dialog)."""
    specs = []
    for f in fields(Options):
        default = f.default if f.default is not MISSING else f.default_factory()
        specs.append({"name": f.name, "type": _type_name(f.type), "default": _jsonable(default),
                      **f.metadata})
    return specs


def _type_name(annotation: Any) -> str:
    text = str(annotation).replace("typing.", "")
    for simple in ("float", "int", "str", "bool"):
        if text == simple:
            return simple
    if text == "int | None":
        return "int?"
    if text.startswith("tuple[tuple"):
        return "boxes"
    return "ints"


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _coerce(name: str, value: Any) -> Any:
    """Lists from JSON become the tuples the dataclass declares."""
    if name == "face_boxes" and isinstance(value, (list, tuple)):
        return tuple(tuple(box) if isinstance(box, (list, tuple)) else box for box in value)
    if name in ("face_layers", "background_colour") and isinstance(value, list):
        return tuple(value)
    return value


def _fail(name: str, message: str) -> None:
    raise OptionsError(f"{name}: {message}")


def _is_finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # JSON integers can be too large for a float
        return False


def _check_number(name: str, value: Any, kind: type, meta: dict[str, Any]) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(name, f"expected a number, got {value!r}")
    if not _is_finite(value):
        _fail(name, f"must be finite and within float range, got {value!r:.40}")
    if kind is int and not float(value).is_integer():
        _fail(name, f"expected a whole number, got {value!r}")
    lo, hi = meta["minimum"], meta["maximum"]
    if lo is not None and value < lo or hi is not None and value > hi:
        _fail(name, f"{value!r} is outside [{lo:g}, {hi:g}]")


def validate(options: Options) -> None:
    """Raise :class:`OptionsError` naming the first option that is not acceptable."""
    for f in fields(options):
        value, meta, kind = getattr(options, f.name), f.metadata, _type_name(f.type)
        if kind in ("float", "int"):
            _check_number(f.name, value, float if kind == "float" else int, meta)
            if kind == "int":
                object.__setattr__(options, f.name, int(value))
            else:
                object.__setattr__(options, f.name, float(value))
        elif kind == "int?":
            if value is not None:
                _check_number(f.name, value, int, meta)
                object.__setattr__(options, f.name, int(value))
        elif kind == "str":
            if value not in meta["choices"]:
                _fail(f.name, f"{value!r} is not one of {', '.join(meta['choices'])}")
        elif kind == "bool" and not isinstance(value, bool):
            _fail(f.name, f"expected true or false, got {value!r}")
    _validate_structured(options)


def _whole(value: Any) -> bool:
    """An int, or a float with no fractional part (JSON clients may send 255.0)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return isinstance(value, int) or (math.isfinite(value) and value.is_integer())


def _validate_structured(options: Options) -> None:
    layers = options.face_layers
    if (not isinstance(layers, tuple) or not layers
            or not all(isinstance(i, int) and not isinstance(i, bool) for i in layers)):
        _fail("face_layers", f"expected a non-empty list of layer indices, got {layers!r}")
    if any(not 0 <= i < FACENET_CHILDREN for i in layers) or len(set(layers)) != len(layers):
        _fail("face_layers", f"indices must be distinct and within 0..{FACENET_CHILDREN - 1}, "
              f"got {list(layers)}")
    object.__setattr__(options, "face_layers", tuple(sorted(layers)))
    colour = options.background_colour
    if (not isinstance(colour, tuple) or len(colour) != 3
            or not all(_whole(c) and 0 <= c <= 255 for c in colour)):
        _fail("background_colour", f"expected three whole numbers 0-255, got {colour!r}")
    object.__setattr__(options, "background_colour", tuple(int(c) for c in colour))
    boxes = options.face_boxes
    if not isinstance(boxes, tuple):
        _fail("face_boxes", f"expected a list of [x0, y0, x1, y1], got {boxes!r}")
    for box in boxes:
        if (not isinstance(box, tuple) or len(box) != 4
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                           and _is_finite(v) for v in box)):
            _fail("face_boxes", f"each box must be four finite numbers, got {box!r}")
        if box[2] <= box[0] or box[3] <= box[1]:
            _fail("face_boxes", f"box {list(box)} must have x1 > x0 and y1 > y0")
    object.__setattr__(options, "face_boxes",
                       tuple(tuple(float(v) for v in box) for box in boxes))
