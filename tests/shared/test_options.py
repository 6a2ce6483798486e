"""Options: one validated definition of every engine setting (shared/options.py)."""

from __future__ import annotations

import json
import math
from dataclasses import fields

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.options import Options, OptionsError, option_specs

OPTION_NAMES = [f.name for f in fields(Options)]


def test_defaults_follow_crowson_for_the_style_terms() -> None:
    options = Options()
    assert (options.content_weight, options.tv_weight) == (0.015, 2.0)
    assert (options.min_scale, options.end_scale) == (128, 512)
    assert (options.initial_iterations, options.iterations) == (1000, 500)
    assert (options.step_size, options.avg_decay) == (0.02, 0.99)
    assert (options.init, options.pooling, options.style_scale_fac) == ("content", "max", 1.0)


def test_face_terms_are_on_by_default_and_off_when_both_weights_are_zero() -> None:
    assert Options().faces_enabled
    assert Options().face_weight > 0 and Options().mesh_weight == 0  # the mesh term is opt-in
    assert not Options(face_weight=0, mesh_weight=0).faces_enabled
    assert Options(face_weight=0, mesh_weight=0.1).faces_enabled


def test_unknown_key_is_named_with_the_known_ones() -> None:
    with pytest.raises(OptionsError, match="unknown option.*colour_weight") as caught:
        Options.from_dict({"colour_weight": 1.0})
    assert "content_weight" in str(caught.value)


def test_options_must_be_an_object() -> None:
    with pytest.raises(OptionsError, match="must be an object, not list"):
        Options.from_dict([("tv_weight", 1.0)])


@pytest.mark.parametrize(("name", "value"), [
    ("content_weight", -0.1), ("tv_weight", 1e5), ("min_scale", 31), ("end_scale", 8193),
    ("iterations", 0), ("step_size", 0.0), ("avg_decay", 1.0), ("face_threshold", 1.5),
])
def test_value_outside_its_range_is_rejected_naming_the_option(name: str, value: float) -> None:
    with pytest.raises(OptionsError, match=f"^{name}: .* is outside"):
        Options.from_dict({name: value})


@pytest.mark.parametrize(("name", "value", "least", "zero"), [
    ("tile_size", 63, 64, "never tile"), ("end_scale", 31, 32, "the content's own size"),
])
def test_a_size_between_zero_and_its_least_is_refused_saying_what_zero_means(
        name: str, value: int, least: int, zero: str) -> None:
    with pytest.raises(OptionsError, match=f"^{name}: {value} is below {least}; 0 means {zero}$"):
        Options.from_dict({name: value})


def test_zero_end_scale_and_tile_size_are_accepted() -> None:
    options = Options(end_scale=0, tile_size=0)
    assert (options.end_scale, options.tile_size) == (0, 0)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_number_is_rejected(value: float) -> None:
    with pytest.raises(OptionsError, match="^tv_weight: must be finite"):
        Options(tv_weight=value)


@pytest.mark.parametrize(("name", "value", "complaint"), [
    ("content_weight", "0.1", "expected a number"),
    ("iterations", True, "expected a number"),
    ("iterations", 2.5, "expected a whole number"),
    ("square_faces", 1, "expected true or false"),
    ("init", "noise", "is not one of content, gray, uniform, style_mean"),
    ("pooling", None, "is not one of max, average, l2"),
])
def test_value_of_the_wrong_type_is_rejected(name: str, value: object, complaint: str) -> None:
    with pytest.raises(OptionsError, match=f"^{name}: .*{complaint}"):
        Options.from_dict({name: value})


def test_whole_float_for_an_int_option_becomes_an_int() -> None:
    options = Options.from_dict({"iterations": 20.0, "style_size": 256.0})
    assert options.iterations == 20 and type(options.iterations) is int
    assert options.style_size == 256 and type(options.style_size) is int


def test_int_for_a_float_option_becomes_a_float() -> None:
    assert type(Options(content_weight=1).content_weight) is float


def test_huge_integer_is_an_options_error_not_an_overflow() -> None:
    # Python's json reads integers of any size; float() of one above ~1e308 overflows.
    with pytest.raises(OptionsError, match="^min_scale: "):
        Options.from_dict(json.loads('{"min_scale": ' + "9" * 400 + "}"))
    with pytest.raises(OptionsError, match="^face_boxes: "):
        Options.from_dict({"face_boxes": [[0, 0, 10**400, 5]]})


@pytest.mark.parametrize(("boxes", "complaint"), [
    ([[0, 0, 10]], "four finite numbers"),
    ([[0, 0, 10, math.nan]], "four finite numbers"),
    ([[0, 0, "10", 10]], "four finite numbers"),
    ([[10, 0, 5, 10]], "x1 > x0 and y1 > y0"),
    ([[0, 10, 10, 10]], "x1 > x0 and y1 > y0"),
    ("0,0,10,10", "expected a list"),
])
def test_bad_face_boxes_are_rejected(boxes: object, complaint: str) -> None:
    with pytest.raises(OptionsError, match=f"^face_boxes: .*{complaint}"):
        Options.from_dict({"face_boxes": boxes})


def test_face_boxes_from_json_lists_become_float_tuples() -> None:
    options = Options.from_dict({"face_boxes": [[1, 2, 30, 40], [50.5, 0, 60, 9]]})
    assert options.face_boxes == ((1.0, 2.0, 30.0, 40.0), (50.5, 0.0, 60.0, 9.0))
    assert all(type(v) is float for box in options.face_boxes for v in box)


@pytest.mark.parametrize("layers", [[], [15], [-1], [1, 1], [True], [1.0]])
def test_bad_face_layers_are_rejected(layers: list) -> None:
    with pytest.raises(OptionsError, match="^face_layers: "):
        Options.from_dict({"face_layers": layers})


def test_face_layers_are_kept_sorted() -> None:
    assert Options.from_dict({"face_layers": [5, 0, 3]}).face_layers == (0, 3, 5)


@pytest.mark.parametrize("colour", [[0, 0], [0, 0, 256], [0, -1, 0], [0, 0, True], "white",
                                    [0, 0, 0.5]])
def test_bad_background_colour_is_rejected(colour: object) -> None:
    with pytest.raises(OptionsError, match="^background_colour: "):
        Options.from_dict({"background_colour": colour})


def test_whole_float_colour_components_become_ints() -> None:
    colour = Options.from_dict({"background_colour": [255.0, 0, 10.0]}).background_colour
    assert colour == (255, 0, 10) and all(type(c) is int for c in colour)


def test_to_dict_survives_json_and_from_dict_rebuilds_an_equal_object() -> None:
    options = Options(content_weight=0.05, init="gray", style_size=300, square_faces=True,
                      face_layers=(0, 6), face_boxes=((1.0, 2.0, 30.0, 40.0),),
                      background="flat", background_colour=(10, 20, 30))
    carried = json.loads(json.dumps(options.to_dict()))
    assert carried["face_boxes"] == [[1.0, 2.0, 30.0, 40.0]]
    assert Options.from_dict(carried) == options


def test_from_dict_of_a_partial_dict_keeps_the_other_defaults() -> None:
    options = Options.from_dict({"tv_weight": 0.5})
    assert options == Options(tv_weight=0.5)
    assert options.end_scale == Options().end_scale


def test_replace_validates_the_change() -> None:
    assert Options().replace(iterations=7).iterations == 7
    with pytest.raises(OptionsError, match="^iterations: "):
        Options().replace(iterations=-7)


def test_option_specs_describe_every_field_in_declaration_order() -> None:
    specs = option_specs()
    assert [s.name for s in specs] == OPTION_NAMES
    defaults = Options().to_dict()
    for spec in specs:
        assert spec.help, spec.name
        assert spec.type.to_json(spec.default) == defaults[spec.name]
        assert spec.group in ("style", "speed", "faces", "background")
        if spec.type.tag == "str":
            assert spec.default in spec.choices
    types = {s.name: s.type.tag for s in specs}
    assert (types["content_weight"], types["iterations"], types["style_size"]) == (
        "float", "int", "int?")
    assert (types["face_boxes"], types["face_layers"], types["square_faces"]) == (
        "boxes", "ints", "bool")


# Python's json reads integers of any size, so huge ones are JSON-like too.
JSON_SCALARS = (st.none() | st.booleans() | st.integers() | st.sampled_from([10**400, -10**400])
                | st.floats() | st.text(max_size=8))
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=12)
OPTION_KEYS = st.sampled_from(OPTION_NAMES) | st.text(max_size=12)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(OPTION_KEYS, JSON_VALUES, max_size=6))
def test_any_json_like_dict_builds_valid_options_or_raises_options_error(values: dict) -> None:
    try:
        options = Options.from_dict(values)
    except OptionsError:
        return
    assert Options.from_dict(json.loads(json.dumps(options.to_dict()))) == options


NEAR_VALID = {
    "face_boxes": st.lists(st.lists(st.integers(-5, 50) | st.floats(), min_size=3,
                                    max_size=5), max_size=3),
    "face_layers": st.lists(st.integers(-2, 16), max_size=6),
    "background_colour": st.lists(st.integers(-2, 258), min_size=2, max_size=4),
    "min_scale": st.integers(0, 10000) | st.floats(0, 10000),
    "step_size": st.floats(),
    "init": st.sampled_from(["content", "gray", "uniform", "style_mean", "noise"]),
}


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({}, optional=NEAR_VALID))
def test_near_valid_dicts_build_valid_options_or_raise_options_error(values: dict) -> None:
    try:
        options = Options.from_dict(values)
    except OptionsError:
        return
    assert all(box[2] > box[0] and box[3] > box[1] for box in options.face_boxes)
    assert all(0 <= c <= 255 for c in options.background_colour)
    assert 32 <= options.min_scale <= 8192
