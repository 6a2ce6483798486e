"""The engine's options: one typed, validated definition.

The CLI flags, the protocol's ``options`` object, the documentation tables and the editors'
dialogs are all generated from :class:`Options` through :func:`option_specs`; nothing else
defines a default, a range or a help text. Each option's value type is an
:class:`~shared.option_types.OptionType`, which knows its JSON form, text form, CLI flag and
dialog widget. Pure Python, so GIMP's interpreter can import it without torch or numpy.

An editor's dialog (GIMP, Krita) builds one field per :class:`OptionSpec`: ``spec.label``,
``spec.tooltip + spec.type.widget_hint`` as its tooltip (in an artist's words; ``spec.help`` is
the technical text for the CLI and the protocol reference), a widget of kind ``spec.type.widget``
(``float``, ``int``, ``bool``, ``choice``, ``text``) with ``spec.type.widget_range()``,
``spec.step``, ``spec.digits`` and ``spec.choices``; ``spec.type.to_widget(value)`` fills it and
``spec.type.from_widget(raw)`` reads it back, and :meth:`Options.from_dict` validates the lot.
"""

from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any

from shared.option_lists import Boxes, Colour, Indices
from shared.option_types import (
    AutoWholeOrZero,
    Choice,
    Flag,
    OptionalWhole,
    OptionsError,
    OptionType,
    Real,
    Whole,
    WholeOrZero,
)

__all__ = ["Options", "OptionsError", "OptionSpec", "option_specs", "validate"]


def _option(type: OptionType, default: Any, help: str, *, group: str = "style",
            flag: str | None = None, label: str | None = None, tip: str | None = None) -> Any:
    """A dataclass field carrying what the CLI, the protocol and the dialogs need: ``help``
    in technical terms (CLI help, protocol reference), and for the editors' dialogs a
    ``label`` (with its unit) and a ``tip`` saying what the option does to the picture."""
    metadata = {"type": type, "help": help, "group": group, "flag": flag, "label": label,
                "tip": tip}
    if isinstance(default, tuple):
        return field(default_factory=lambda: default, metadata=metadata)
    return field(default=default, metadata=metadata)


INIT_CHOICES = ("content", "gray", "uniform", "style_mean")
POOLING_CHOICES = ("max", "average", "l2")
BACKGROUND_CHOICES = ("keep", "flat", "restore", "alpha")
FACE_SHAPE_CHOICES = ("oval", "box")
PRESET_CHOICES = ("none", "draft", "balanced", "final")  # shared/presets.py defines them
PRECISION_CHOICES = ("auto", "fp32", "bf16", "fp16")
EARLY_STOP_WINDOW = 25  # iterations whose mean loss early_stop compares with the 25 before
FACENET_CHILDREN = 15  # InceptionResnetV1 children usable as feature layers (0..14)
PIXELS = Whole(32, 8192)  # an image side in pixels
HIGH_SCALE = 1024  # pixels: scales above it refine detail (high_scale_iterations)
# Iterations at most at a scale above HIGH_SCALE when high_scale_iterations is not set: on the
# warm-started rungs of bench/tiles.py settle, 100 iterations reach 96-97 % of the loss drop of
# 150, and the default schedule's end scale is within 1 % of its 500-iteration loss after 100
# (bench/RESULTS.md, "Loss over the iterations per rung", "Presets"; docs/large-images.md).
HIGH_SCALE_ITERATIONS = 100
MIN_TILE_SIZE = 64  # pixels: a tile holds a 16-px core inside its context margins
WEIGHT = Real(0.0, 1e4)  # a loss term's weight
# The face weights' dialog steps, so a field shows the weights docs/faces.md compares (0.25, 0.015).
FACE_WEIGHT, MESH_WEIGHT = Real(0.0, 1e4, 0.05), Real(0.0, 1e4, 0.005)
# Shown first in the editors' dialogs (GIMP, Krita); every other option goes into "Advanced".
MAIN_OPTIONS = ("content_weight", "face_weight", "mesh_weight", "end_scale", "background")


@dataclass
class Options:
    """Everything that shapes one stylization. Defaults follow Crowson's style-transfer-pytorch
    (commit 1107fe6) for the style terms and the paper's examples for the face terms."""

    content_weight: float = _option(WEIGHT, 0.015, "weight of the VGG-19 content loss "
                                    "(relu4_2)",
        label="Content weight",
        tip="How much of the portrait's own shapes and detail the result keeps: higher stays "
            "closer to the photo, lower lets the style take over.")
    tv_weight: float = _option(WEIGHT, 2.0, "weight of the L2 total variation (smoothing) loss",
        label="Smoothness",
        tip="Calms fine speckle and noise in the result: higher gives smoother, softer "
            "surfaces.")
    min_scale: int = _option(PIXELS, 128, "the smallest first scale (long side, pixels): the "
                             "ladder steps down from end_scale by factors of √2 while it stays "
                             "at or above this, so the first scale is between this and √2 × it",
        label="First size (px)",
        tip="The long side, in pixels, of the first and coarsest pass, where the overall look"
            " forms; the picture is then refined at larger sizes up to the result size.")
    end_scale: int = _option(WholeOrZero(32, 8192, "the content's own size", word="full"),
                             512, "the final scale and output long side, in pixels (at least "
                             "32); 0 (on the command line also 'full') is the content's own "
                             "long side, at most 8192 px",
        label="Result size (px)",
        tip="The long side, in pixels, at which the result is painted: larger shows finer "
            "brush strokes and takes longer; 0 paints at the layer's own size. The result is "
            "then fitted to the layer.")
    iterations: int = _option(Whole(1, 100000), 500, "Adam iterations at each scale after the "
                              "first",
        label="Steps per size",
        tip="Refinement steps at each size after the first: more give a more finished look "
            "and take longer.")
    high_scale_iterations: int | None = _option(
        OptionalWhole(1, 100000), None, f"Adam iterations at scales whose long side exceeds "
        f"{HIGH_SCALE} px, after the first scale (they refine detail; the structure is settled "
        f"below); not set: iterations, at most {HIGH_SCALE_ITERATIONS} (measured: "
        "docs/large-images.md)",
        label="Steps at large sizes",
        tip="Refinement steps at sizes above 1024 px, which only refine detail (0: as Steps "
            f"per size, at most {HIGH_SCALE_ITERATIONS}); fewer save much time on big "
            "pictures.")
    initial_iterations: int = _option(Whole(1, 100000), 1000, "Adam iterations at the first "
                                      "scale",
        label="Steps at first size",
        tip="Refinement steps at the first, smallest size, where the overall look forms: more"
            " take longer.")
    step_size: float = _option(Real(1e-6, 1.0), 0.02, "Adam learning rate",
        label="Change per step",
        tip="How boldly each step changes the picture: higher moves faster but can look "
            "noisier.")
    avg_decay: float = _option(Real(0.0, 0.9999), 0.99, "decay of the iterate average (EMA)",
        label="Step averaging",
        tip="Blends each step with the ones before it to calm flicker and noise: closer to 1 "
            "averages over more steps.")
    init: str = _option(Choice(INIT_CHOICES), "content", "initial image",
        label="Start from",
        tip="What the painting starts as: the portrait, flat gray, random noise, or the "
            "style's average colour.")
    style_scale_fac: float = _option(Real(0.01, 100.0), 1.0, "style image size relative to the "
                                     "content scale",
        label="Style mark size (×)",
        tip="How large the style's strokes and textures appear: 2 paints with marks twice as "
            "big, 0.5 with marks half as big.")
    style_size: int | None = _option(OptionalWhole(32, 8192), None, "fixed style image long "
                                     "side in pixels (overrides style_scale_fac)",
        label="Style picture size (px)",
        tip="A fixed long side, in pixels, for the style picture; it overrides Style mark "
            "size.")
    pooling: str = _option(Choice(POOLING_CHOICES), "max", "VGG-19 pooling",
        label="Texture character",
        tip="How the style's texture is gathered: Max gives crisp, contrasty marks; Average "
            "and L2 softer, blended ones.")
    tile_size: int | None = _option(
        AutoWholeOrZero(MIN_TILE_SIZE, 8192, "never tile", "the device's choice"), None,
        "compute scales whose long side exceeds this (pixels, at least 64) tile by tile on a "
        "moving grid, so memory follows the tile, not the image; 0 never tiles; not set "
        "(auto): the device's choice, on a CPU the largest tile from 512 down to 256 that "
        "keeps the job's memory within 1.3 times its 512-px run's, on a GPU only what its free "
        "memory needs (docs/large-images.md, Tiles); a tile too large for the device's memory is "
        "made smaller",
        label="Tile size (px)",
        tip="Paints large pictures in tiles of this many pixels (at least 64), so memory "
            "follows the tile, not the picture. Auto lets the backend choose (on a CPU 512, "
            "smaller for large pictures to save memory); "
            "Off paints all at once.")
    random_seed: int = _option(Whole(0, 2**63 - 1), 0, "random seed for the initial noise",
        label="Random seed",
        tip="Changes the random noise the painting may start from; the same number gives the "
            "same result.")

    preset: str = _option(Choice(PRESET_CHOICES), "none", "a schedule that reaches its result "
                          "in fewer iterations (docs/engine.md, Presets): draft, balanced or "
                          "final set the schedule options a request leaves at their defaults; "
                          "none is Crowson's schedule", group="speed",
        label="Quality",
        tip="Draft: a quick look in about a seventh of the time; Balanced: most of the finish "
            "in under half the time; Final: the full finish, with fewer steps at the first "
            "size, where the look settles early; None: the classic schedule. Options you "
            "change yourself win.")
    precision: str = _option(Choice(PRECISION_CHOICES), "auto", "arithmetic of the VGG-19 "
                             "forward (docs/engine.md, Precision): fp32, or bf16 or fp16 "
                             "autocast with Gram matrices and losses in fp32; auto is bf16 on a "
                             "GPU that supports it and, with a preset other than none, on a "
                             "CPU with AMX, else fp32", group="speed",
        label="Arithmetic",
        tip="Half-precision arithmetic (bf16, fp16) paints faster on a GPU or a CPU with "
            "bf16 hardware (Intel AMX), with results very close to full precision (fp32). "
            "Auto: bf16 on a GPU, and on such a CPU when Quality is not None; else fp32.")
    early_stop: float = _option(Real(0.0, 0.5, step=0.001), 0.0, "stop a scale early once "
                                "its total loss fell by less than this fraction over its last "
                                f"{EARLY_STOP_WINDOW} iterations (their mean against the "
                                f"{EARLY_STOP_WINDOW} before); 0 never stops early, as "
                                "Crowson's schedule", group="speed",
        label="Stop when settled",
        tip="Moves on to the next size once the picture improves by less than this share "
            "over a stretch of steps (0: always do every step).")

    face_weight: float = _option(FACE_WEIGHT, 2.0, "weight of the FaceID loss (FaceNet features); "
                                 "0 turns it off", group="faces", label="Face likeness",
        tip="How strongly faces keep the person's likeness (who they look like); 0: off.")
    mesh_weight: float = _option(MESH_WEIGHT, 0.0, "weight of the FaceMesh landmark loss; 0 turns "
                                 "it off (the default: it can paint a maze-like texture on "
                                 "faces, docs/faces.md)", group="faces",
        label="Face shape",
        tip="How strongly faces keep their shape: eyes, nose, mouth and jawline stay in "
            "place; 0 turns it off. Off by default: it can cover faces in a fine maze-like "
            "texture.")
    face_layers: tuple[int, ...] = _option(
        Indices(FACENET_CHILDREN), (0, 1, 3, 4, 5), "InceptionResnetV1 children whose outputs "
        "the FaceID loss compares (the paper's code: 0,1,3,4,5; its text: conv_1a, conv_2a, "
        "maxpool_3a, conv_4a, conv_4b = 0,1,3,5,6)", group="faces",
        label="Face detail levels",
        tip="Which levels of the face recognizer are compared, from fine edges (0) to whole "
            "features (14).")
    face_padding: float = _option(Real(0.0, 2.0), 0.2, "padding around each face box, as a "
                                  "fraction of its long side", group="faces",
        label="Face margin (×)",
        tip="Extra room around each face found, as a share of the face's size (0.2: 20 %).")
    square_faces: bool = _option(Flag(), False, "pad face boxes to squares", group="faces",
        label="Square face areas",
        tip="Make each face area square.")
    face_crops: bool = _option(Flag(), True, "compare face crops; the --no-face-crops flag "
                               "sends the whole image through the face models instead",
                               group="faces", flag="no-face-crops",
        label="Look at each face up close",
        tip="Judge likeness and shape on each face separately, which suits small faces; off, "
            "the whole picture is judged at once.")
    min_face_size: int = _option(Whole(1, 8192), 20, "ignore detected faces whose short side "
                                 "is smaller (pixels at the scale being processed)",
                                 group="faces",
        label="Smallest face (px)",
        tip="Faces smaller than this many pixels (at the size being painted) are left to the "
            "style.")
    face_threshold: float = _option(Real(0.0, 1.0), 0.95, "MTCNN confidence needed to accept a "
                                    "face", group="faces",
        label="Face detection certainty",
        tip="How sure the face finder must be before it treats something as a face (0 to 1): "
            "lower finds more, including false ones.")
    face_boxes: tuple[tuple[float, float, float, float], ...] = _option(
        Boxes(), (), "face boxes X0,Y0,X1,Y1 in content pixels; given, they replace detection",
        group="faces", flag="face-box",
        label="Face areas (px)",
        tip="Mark faces yourself, as X0,Y0,X1,Y1 in the layer's pixels; given, they replace "
            "automatic face finding.")
    face_feather: float = _option(Real(0.0, 0.5), 0.15, "width of the fade of the face terms "
                                  "beyond the face region's edge, as a fraction of the crop "
                                  "side", group="faces",
        label="Face edge softness",
        tip="How gradually the face protection fades beyond the edge of each face, as a share"
            " of its size.")
    face_blur: float = _option(Real(0.0, 8.0), 2.0, "Gaussian blur (sigma, pixels of FaceMesh's "
        "input) of the crops the mesh term compares, so fine texture cannot satisfy it; "
        "FaceNet's crops stay sharp (docs/faces.md)", group="faces", label="Face texture "
        "softening (px)", tip="Softens what the face-shape protection looks at, so the style's "
        "fine texture cannot pass for a face's features; 0: no softening.")
    face_jitter: float = _option(Real(0.0, 0.25), 0.0, "random shift and scale of the face "
                                 "crops at each iteration, as a fraction of their side "
                                 "(seeded by random_seed)", group="faces",
        label="Face area wobble (×)",
        tip="Shifts and resizes the face areas a little at every step, as a share of their "
            "size, for a steadier likeness; 0: none.")
    face_reliability: bool = _option(Flag(), False, "weight each face's mesh loss by FaceMesh's "
                                     "presence times the face's frontality", group="faces",
        label="Trust clear faces more",
        tip="Keep the shape of faces seen clearly and from the front more strongly than "
            "doubtful or turned ones.")
    face_shape: str = _option(Choice(FACE_SHAPE_CHOICES), "oval", "region the face terms pull: "
                              "oval (the face, from FaceMesh's face oval; the box where FaceMesh "
                              "is unsure) or box (the whole crop)", group="faces",
        label="Face area shape",
        tip="Oval: protect the face itself; Box: protect the whole square around it.")
    face_region_error: bool = _option(Flag(), True, "FaceID error over the face region only; "
        "--no-face-region-error counts the whole crop, as the paper's code (docs/faces.md)",
        group="faces", flag="no-face-region-error", label="Likeness from the face alone",
        tip="Judge likeness on the face itself, not the background around it.")
    face_luma: bool = _option(Flag(), True, "FaceID on the crops' luma (Rec. 601), so faces may "
        "take the style's colours; --no-face-luma holds their colours too", group="faces",
        flag="no-face-luma", label="Likeness in grey",
        tip="Judge likeness on light and shade only, so faces take the style's colours.")

    background: str = _option(Choice(BACKGROUND_CHOICES), "keep", "background handling: keep "
                              "it; flat (replace with a colour before stylizing); restore "
                              "(stylize on flat, put the original back); alpha (matte becomes "
                              "the output alpha)", group="background",
        label="Background",
        tip="Keep: stylize everything; Flat: replace the background with a colour before "
            "stylizing; Restore: stylize on that colour, then put the original background "
            "back; Alpha: make the background transparent.")
    background_colour: tuple[int, int, int] = _option(
        Colour(), (255, 255, 255), "flat background colour R,G,B (0-255)", group="background",
        label="Flat background colour",
        tip="The colour that Flat and Restore put behind the person.")

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
        """A validated copy with ``changes``; raises like :meth:`from_dict`."""
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
    dialog_label: str | None = None
    tip: str | None = None

    @property
    def label(self) -> str:
        """A dialog label in an artist's words, with its unit, e.g. ``Result size (px)``;
        without one, from the name: ``face_weight`` → ``Face weight`` (no underscores, which
        GTK and Qt read as mnemonic markers)."""
        if self.dialog_label:
            return self.dialog_label
        words = self.name.replace("_", " ")
        return words[:1].upper() + words[1:]

    @property
    def tooltip(self) -> str:
        """A dialog tooltip: what the option does to the picture (the technical ``help``
        stays with the CLI and the protocol reference)."""
        return self.tip or self.help

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
                          f.metadata["flag"] or f.name.replace("_", "-"),
                          f.metadata["label"], f.metadata["tip"])
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
