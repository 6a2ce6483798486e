"""The engine's options: one typed, validated definition.

The CLI flags, the protocol's ``options`` object, the documentation tables and the editors'
dialogs are all generated from :class:`Options` through :func:`option_specs`; nothing else
defines a default, a range or a help text. Each option's value type is an
:class:`~shared.option_types.OptionType`, which knows its JSON form, text form, CLI flag and
dialog widget. Pure Python, so GIMP's interpreter can import it without torch or numpy.

An editor's dialog (GIMP, Krita) builds one field per :class:`OptionSpec`: ``spec.label``,
``spec.help + spec.type.widget_hint`` as its tooltip, a widget of kind ``spec.type.widget``
(``float``, ``int``, ``bool``, ``choice``, ``text``) with ``spec.type.widget_range()``,
``spec.step``, ``spec.digits`` and ``spec.choices``; ``spec.type.to_widget(value)`` fills it and
``spec.type.from_widget(raw)`` reads it back, and :meth:`Options.from_dict` validates the lot.
"""

from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any

from shared.option_types import (
    Boxes,
    Choice,
    Colour,
    Flag,
    Indices,
    OptionalWhole,
    OptionsError,
    OptionType,
    Real,
    Whole,
    WholeOrZero,
)

__all__ = ["Options", "OptionsError", "OptionSpec", "option_specs", "validate"]


def _option(type: OptionType, default: Any, help: str, *, group: str = "style",
            flag: str | None = None) -> Any:
    """A dataclass field carrying what the CLI, the protocol and the dialogs need."""
    metadata = {"type": type, "help": help, "group": group, "flag": flag}
    if isinstance(default, tuple):
        return field(default_factory=lambda: default, metadata=metadata)
    return field(default=default, metadata=metadata)


INIT_CHOICES = ("content", "gray", "uniform", "style_mean")
POOLING_CHOICES = ("max", "average", "l2")
BACKGROUND_CHOICES = ("keep", "flat", "restore", "alpha")
FACE_SHAPE_CHOICES = ("oval", "box")
FACENET_CHILDREN = 15  # InceptionResnetV1 children usable as feature layers (0..14)
PIXELS = Whole(32, 8192)  # an image side in pixels
HIGH_SCALE = 1024  # pixels: scales above it refine detail (high_scale_iterations)
MIN_TILE_SIZE = 64  # pixels: a tile holds a 16-px core inside its context margins
WEIGHT = Real(0.0, 1e4)  # a loss term's weight
# Shown first in the editors' dialogs (GIMP, Krita); every other option goes into "Advanced".
MAIN_OPTIONS = ("content_weight", "face_weight", "mesh_weight", "end_scale", "background")


@dataclass
class Options:
    """Everything that shapes one stylization. Defaults follow Crowson's style-transfer-pytorch
    (commit 1107fe6) for the style terms and the paper's examples for the face terms."""

    content_weight: float = _option(WEIGHT, 0.015, "weight of the VGG-19 content loss "
                                    "(relu4_2)")
    tv_weight: float = _option(WEIGHT, 2.0, "weight of the L2 total variation (smoothing) loss")
    min_scale: int = _option(PIXELS, 128, "the first scale (long side, pixels)")
    end_scale: int = _option(WholeOrZero(32, 8192, "the content's own size"), 512,
                             "the final scale and output long side, in pixels (at least 32); 0 "
                             "is the content's own long side")
    iterations: int = _option(Whole(1, 100000), 500, "Adam iterations at each scale after the "
                              "first")
    high_scale_iterations: int | None = _option(
        OptionalWhole(1, 100000), None, f"Adam iterations at scales whose long side exceeds "
        f"{HIGH_SCALE} px, after the first scale (they refine detail; the structure is settled "
        "below); not set: iterations")
    initial_iterations: int = _option(Whole(1, 100000), 1000, "Adam iterations at the first "
                                      "scale")
    step_size: float = _option(Real(1e-6, 1.0), 0.02, "Adam learning rate")
    avg_decay: float = _option(Real(0.0, 0.9999), 0.99, "decay of the iterate average (EMA)")
    init: str = _option(Choice(INIT_CHOICES), "content", "initial image")
    style_scale_fac: float = _option(Real(0.01, 100.0), 1.0, "style image size relative to the "
                                     "content scale")
    style_size: int | None = _option(OptionalWhole(32, 8192), None, "fixed style image long "
                                     "side in pixels (overrides style_scale_fac)")
    pooling: str = _option(Choice(POOLING_CHOICES), "max", "VGG-19 pooling")
    tile_size: int = _option(WholeOrZero(MIN_TILE_SIZE, 8192, "never tile"), 0,
                             "compute scales whose long side exceeds this (pixels, at least "
                             "64) tile by tile on a moving grid, so memory follows the tile, "
                             "not the image; 0 never tiles")
    random_seed: int = _option(Whole(0, 2**63 - 1), 0, "random seed for the initial noise")

    face_weight: float = _option(WEIGHT, 0.25, "weight of the FaceID loss (FaceNet features); "
                                 "0 turns it off", group="faces")
    mesh_weight: float = _option(WEIGHT, 0.015, "weight of the FaceMesh landmark loss; 0 turns "
                                 "it off", group="faces")
    face_layers: tuple[int, ...] = _option(
        Indices(FACENET_CHILDREN), (0, 1, 3, 4, 5), "InceptionResnetV1 children whose outputs "
        "the FaceID loss compares (the paper's code: 0,1,3,4,5; its text: conv_1a, conv_2a, "
        "maxpool_3a, conv_4a, conv_4b = 0,1,3,5,6)", group="faces")
    face_padding: float = _option(Real(0.0, 2.0), 0.2, "padding around each face box, as a "
                                  "fraction of its long side", group="faces")
    square_faces: bool = _option(Flag(), False, "pad face boxes to squares", group="faces")
    face_crops: bool = _option(Flag(), True, "compare face crops; the --no-face-crops flag "
                               "sends the whole image through the face models instead",
                               group="faces", flag="no-face-crops")
    min_face_size: int = _option(Whole(1, 8192), 20, "ignore detected faces whose short side "
                                 "is smaller (pixels at the scale being processed)",
                                 group="faces")
    face_threshold: float = _option(Real(0.0, 1.0), 0.95, "MTCNN confidence needed to accept a "
                                    "face", group="faces")
    face_boxes: tuple[tuple[float, float, float, float], ...] = _option(
        Boxes(), (), "face boxes X0,Y0,X1,Y1 in content pixels; given, they replace detection",
        group="faces", flag="face-box")
    face_feather: float = _option(Real(0.0, 0.5), 0.15, "width of the fade of the face terms "
                                  "beyond the face region's edge, as a fraction of the crop "
                                  "side", group="faces")
    face_blur: float = _option(Real(0.0, 8.0), 2.0, "Gaussian blur (sigma, pixels of the face "
                               "networks' inputs) of the face crops of content and result, so "
                               "fine texture cannot satisfy the face terms", group="faces")
    face_jitter: float = _option(Real(0.0, 0.25), 0.0, "random shift and scale of the face "
                                 "crops at each iteration, as a fraction of their side "
                                 "(seeded by random_seed)", group="faces")
    face_reliability: bool = _option(Flag(), False, "weight each face's mesh loss by FaceMesh's "
                                     "presence times the face's frontality", group="faces")
    face_shape: str = _option(Choice(FACE_SHAPE_CHOICES), "oval", "region the face terms pull: "
                              "oval (the face, from FaceMesh's face oval; the box where FaceMesh "
                              "is unsure) or box (the whole crop)", group="faces")

    background: str = _option(Choice(BACKGROUND_CHOICES), "keep", "background handling: keep "
                              "it; flat (replace with a colour before stylizing); restore "
                              "(stylize on flat, put the original back); alpha (matte becomes "
                              "the output alpha)", group="background")
    background_colour: tuple[int, int, int] = _option(
        Colour(), (255, 255, 255), "flat background colour R,G,B (0-255)", group="background")

    def __post_init__(self) -> None:
        validate(self)

    @property
    def faces_enabled(self) -> bool:
        return self.face_weight > 0 or self.mesh_weight > 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of every option (tuples become lists)."""
        return {spec.name: spec.type.to_json(getattr(self, spec.name))
                for spec in option_specs()}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Options:
        """Build from a (possibly partial) dict, as carried by the protocol; unknown keys fail.
        Raises :class:`OptionsError` naming the first option that is not acceptable."""
        if not isinstance(values, dict):
            raise OptionsError(f"options must be an object, not {type(values).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise OptionsError(f"unknown option(s): {', '.join(unknown)}; known: "
                               f"{', '.join(sorted(known))}")
        return cls(**values)

    def replace(self, **changes: Any) -> Options:
        """A validated copy with ``changes``; raises :class:`OptionsError` like
        :meth:`from_dict`."""
        return Options.from_dict({**asdict(self), **changes})


@dataclass(frozen=True)
class OptionSpec:
    """What an interface needs to offer one option, whatever the editor or tool: its name, value
    type, default (canonical value), help, group (``style``, ``faces``, ``background``) and
    command-line flag (without the dashes). Ranges, choices, steps and widget come from
    :attr:`type`."""

    name: str
    type: OptionType
    default: Any
    help: str
    group: str
    flag: str

    @property
    def label(self) -> str:
        """A dialog label: ``face_weight`` → ``Face weight`` (no underscores, which GTK and Qt
        read as mnemonic markers)."""
        words = self.name.replace("_", " ")
        return words[:1].upper() + words[1:]

    @property
    def minimum(self) -> float | None:
        return self.type.minimum

    @property
    def maximum(self) -> float | None:
        return self.type.maximum

    @property
    def choices(self) -> tuple[str, ...]:
        return self.type.choices

    @property
    def step(self) -> float | None:
        """A number widget's increment (None for other widgets)."""
        return self.type.step_for(self.default)

    @property
    def digits(self) -> int:
        """Decimal digits a number widget shows: enough for the default, the range's bounds
        and the step (at most :data:`shared.option_types.MAX_DIGITS`; 0 for whole numbers)."""
        return self.type.digits_for(self.default)

    def coerce(self, value: Any) -> Any:
        """The canonical value; raises :class:`OptionsError` as ``"<name>: <problem>"``."""
        try:
            return self.type.coerce(value)
        except OptionsError as err:
            raise OptionsError(f"{self.name}: {err}") from None


_SPECS = tuple(OptionSpec(f.name, f.metadata["type"],
                          f.default if f.default is not MISSING else f.default_factory(),
                          f.metadata["help"], f.metadata["group"],
                          f.metadata["flag"] or f.name.replace("_", "-"))
               for f in fields(Options))


def option_specs() -> tuple[OptionSpec, ...]:
    """Every option's :class:`OptionSpec`, in declaration order (for generated interfaces: the
    CLI, the protocol reference, the editors' dialogs)."""
    return _SPECS


def validate(options: Options) -> None:
    """Check every option and store its canonical value (ints as int, lists as tuples, sorted
    layer indices). Raises :class:`OptionsError` naming the first option that is not
    acceptable."""
    for spec in option_specs():
        object.__setattr__(options, spec.name, spec.coerce(getattr(options, spec.name)))
