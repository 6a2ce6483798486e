"""One codec per option type (shared/option_types.py): JSON, text, CLI and widget forms of each
kind of option value, and the errors they raise."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.option_lists import Boxes, Colour, Indices
from shared.option_types import (
    MAX_DIGITS,
    AutoWholeOrZero,
    Flag,
    OptionalWhole,
    OptionsError,
    Real,
    Whole,
    WholeOrZero,
    decimals,
    field_text,
    field_value,
    number_text,
)
from shared.options import option_specs
from tests.shared.option_values import FINITE, values_of

SPECS = {spec.name: spec for spec in option_specs()}


OPTION_VALUES = st.sampled_from(sorted(SPECS)).flatmap(
    lambda name: st.tuples(st.just(SPECS[name]), values_of(SPECS[name].type)))


@settings(max_examples=400, deadline=None)
@given(OPTION_VALUES)
def test_every_value_survives_text_json_and_widget_round_trips(spec_and_value) -> None:
    spec, value = spec_and_value
    kind = spec.type
    assert spec.coerce(value) == value
    assert spec.coerce(kind.parse(kind.format(value))) == value
    assert spec.coerce(json.loads(json.dumps(kind.to_json(value)))) == value
    assert spec.coerce(kind.from_widget(kind.to_widget(value))) == value


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(SPECS)), st.text(max_size=24))
def test_any_text_parses_or_raises_one_line_naming_the_form(name: str, text: str) -> None:
    try:
        SPECS[name].type.parse(text)
    except OptionsError as err:
        assert "\n" not in str(err) and str(err)


JSON_LIKE = st.recursive(st.none() | st.booleans() | st.integers() | FINITE | st.floats()
                         | st.text(max_size=6), lambda inner: st.lists(inner, max_size=5),
                         max_leaves=10)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(SPECS)), JSON_LIKE)
def test_any_json_value_coerces_or_raises_one_line_starting_with_the_name(name: str,
                                                                          value: object) -> None:
    try:
        coerced = SPECS[name].coerce(value)
    except OptionsError as err:
        assert str(err).startswith(f"{name}: ") and "\n" not in str(err)
        return
    assert SPECS[name].coerce(coerced) == coerced


@pytest.mark.parametrize(("value", "places"), [(0.015, 3), (1e-06, 6), (2.0, 0), (1e4, 0),
                                               (0.9999, 4), (1.5e-07, 8), (12.25, 2)])
def test_decimals_count_the_places_of_the_shortest_exact_text(value: float, places: int) -> None:
    assert decimals(value) == places


@pytest.mark.parametrize(("value", "text"), [(2.0, "2"), (0.015, "0.015"), (1e20, "1e+20"),
                                             (-3.5, "-3.5"), (7, "7")])
def test_numbers_are_written_as_the_shortest_text_that_reads_back(value: float,
                                                                  text: str) -> None:
    assert number_text(value) == text


def test_every_float_option_shows_its_default_and_bounds_exactly() -> None:
    floats = [spec for spec in SPECS.values() if spec.type.widget == "float"]
    assert floats
    for spec in floats:
        assert 1 <= spec.digits <= MAX_DIGITS, spec.name
        shown = [v for v in (spec.default, spec.minimum, spec.maximum, spec.step)
                 if decimals(v) <= MAX_DIGITS]
        assert all(round(v, spec.digits) == v for v in shown), spec.name
    assert SPECS["content_weight"].digits >= 3  # 0.015, not 0.0
    assert SPECS["content_weight"].step == 0.001


def test_the_face_weights_show_the_values_docs_compare_not_their_defaults_digits() -> None:
    # From defaults of 1 and 0 a field would show one digit, and round 0.25 and 0.015.
    assert round(0.25, SPECS["face_weight"].digits) == 0.25
    assert round(0.015, SPECS["mesh_weight"].digits) == 0.015


def test_whole_numbers_step_by_one_and_show_no_digits() -> None:
    assert (SPECS["iterations"].step, SPECS["iterations"].digits) == (1, 0)


def test_an_explicit_step_sets_the_increment_and_the_digits() -> None:
    kind = Real(0.0, 10.0, step=0.005)
    assert (kind.step_for(1.0), kind.digits_for(1.0)) == (0.005, 3)


def test_an_optional_whole_number_is_empty_text_and_zero_in_a_widget_when_not_set() -> None:
    kind = OptionalWhole(32, 8192)
    assert (kind.format(None), kind.parse("  "), kind.to_widget(None)) == ("", None, 0)
    assert kind.from_widget(0) is None and kind.from_widget(300) == 300
    assert kind.widget_range() == (0, 8192)


def test_a_whole_number_with_a_special_zero_says_its_meaning_in_the_widget_hint() -> None:
    kind = WholeOrZero(64, 8192, "never tile")
    assert kind.widget_hint == " (0: never tile)"
    assert kind.widget_range() == (0, 8192)
    assert (kind.coerce(0), kind.coerce(64), kind.parse("0")) == (0, 64, 0)


def test_a_whole_number_left_to_the_backend_is_auto_in_text_and_minus_one_in_a_widget() -> None:
    kind = AutoWholeOrZero(64, 8192, "never tile", "the device's choice")
    assert (kind.parse("auto"), kind.parse(""), kind.format(None), kind.to_widget(None)) == (
        None, None, "auto", -1)
    assert (kind.from_widget(-1), kind.from_widget(0), kind.coerce(512)) == (None, 0, 512)
    assert kind.widget_range() == (-1, 8192)
    assert kind.widget_hint == " (auto: the device's choice, -1 in a script; off: never tile, 0)"
    assert kind.widget_words == {-1: "auto", 0: "off"}


@pytest.mark.parametrize(("value", "step", "digits", "text"), [
    (0.02, 0.01, 6, "0.02"),  # step size: its range (1e-06) once made it 0.020000
    (0.015, 0.01, 6, "0.015"),  # more places than the step's: all that the value has
    (0.030000000000000002, 0.01, 6, "0.03"),  # a float sum of steps
    (1.0, 0.1, 2, "1.0"), (0.99, 0.01, 4, "0.99"), (0.9999, 0.01, 4, "0.9999"),
    (1e-06, 0.01, 6, "0.000001"), (0.1234567, 0.01, 6, "0.123457"),  # at most ``digits``
    (512, 1, 0, "512"), (0.0, 0.1, 1, "0.0")])
def test_a_number_field_shows_the_places_the_value_needs_and_at_least_the_steps(
        value: float, step: float, digits: int, text: str) -> None:
    assert field_text(value, step, digits) == text


def test_a_number_field_shows_the_words_of_its_special_values() -> None:
    words = AutoWholeOrZero(64, 8192, "never tile", "the device's choice").widget_words
    shown = [field_text(value, 1, 0, words) for value in (-1, 0, 64, 512)]
    assert shown == ["auto", "off", "64", "512"]


@pytest.mark.parametrize(("text", "value"), [
    ("auto", -1), (" Off ", 0), ("AUTO", -1), ("256", 256.0), ("0.015", 0.015), ("1e-3", 0.001),
    ("au", None), ("", None), ("-", None), ("nan", None), ("inf", None), ("1e999", None)])
def test_a_number_fields_typed_text_reads_back_as_its_value_or_word(
        text: str, value: float | None) -> None:
    words = AutoWholeOrZero(64, 8192, "never tile", "the device's choice").widget_words
    assert field_value(text, words) == value


def test_a_field_shows_text_that_reads_back_as_its_value() -> None:
    words = {-1: "auto", 0: "off"}
    for value, step, digits in [(0.015, 0.001, 3), (0.005, 0.005, 3), (1.0, 0.1, 2),
                                (0.25, 0.1, 2), (-1, 1, 0), (0, 1, 0), (256, 1, 0)]:
        assert field_value(field_text(value, step, digits, words), words) == value


def test_an_optional_whole_number_that_allows_zero_is_a_definition_error() -> None:
    with pytest.raises(ValueError, match="minimum >= 1"):
        OptionalWhole(0, 10)


@pytest.mark.parametrize(("text", "colour"), [("#ff8000", (255, 128, 0)), ("1, 2,3", (1, 2, 3)),
                                              (" #00FF10 ", (0, 255, 16))])
def test_a_colour_is_written_as_r_g_b_or_hex(text: str, colour: tuple) -> None:
    assert Colour().parse(text) == colour


@pytest.mark.parametrize("text", ["#12345", "#gg0000", "1,2", "1,2,3,4", "white", ""])
def test_an_unreadable_colour_says_both_forms(text: str) -> None:
    with pytest.raises(OptionsError, match=r"^expected R,G,B \(0-255\) or #rrggbb, got"):
        Colour().parse(text)


def test_boxes_are_separated_by_semicolons_and_an_unreadable_one_is_quoted() -> None:
    assert Boxes().parse("1,2,3,4; 5.5,6,7,8;") == ((1.0, 2.0, 3.0, 4.0), (5.5, 6.0, 7.0, 8.0))
    assert Boxes().format(((1.0, 2.0, 3.0, 4.5),)) == "1,2,3,4.5"
    with pytest.raises(OptionsError, match=r"^each box is four numbers X0,Y0,X1,Y1, got '1,2,3'$"):
        Boxes().parse("0,0,5,5; 1,2,3")


def test_layer_indices_are_written_with_commas_and_kept_sorted() -> None:
    kind = Indices(15)
    assert kind.parse("5, 0,3") == (5, 0, 3)
    assert kind.coerce([5, 0, 3]) == (0, 3, 5) and kind.format((0, 3, 5)) == "0,3,5"
    with pytest.raises(OptionsError, match="^expected whole numbers separated by commas"):
        kind.parse("0,x")


@pytest.mark.parametrize(("text", "value"), [("yes", True), ("Off", False), ("true", True),
                                             ("0", False)])
def test_a_flag_reads_the_usual_words(text: str, value: bool) -> None:
    assert Flag().parse(text) is value


def test_a_number_written_wrongly_names_the_expected_form() -> None:
    with pytest.raises(OptionsError, match="^expected a whole number, got '2.5'$"):
        Whole(1, 10).parse("2.5")
    with pytest.raises(OptionsError, match="^expected a number, got 'abc'$"):
        Real(0.0, 1.0).parse("abc")


def test_an_option_error_names_the_option_once() -> None:
    with pytest.raises(OptionsError, match=r"^iterations: 0 is outside \[1, 100000\]$"):
        SPECS["iterations"].coerce(0)


def test_labels_and_tooltips_speak_to_artists_and_help_stays_technical() -> None:
    assert SPECS["face_weight"].label == "Face likeness"
    assert SPECS["end_scale"].label == "Result size (px)"
    assert all("_" not in spec.label for spec in SPECS.values())
    assert all(spec.tooltip != spec.help for spec in SPECS.values())
    assert "FaceNet" in SPECS["face_weight"].help


def test_the_documented_json_type_of_each_option_type_describes_its_json_default() -> None:
    python_types = {"number": float, "integer": int, "string": str, "boolean": bool}
    for spec in SPECS.values():
        default = spec.type.to_json(spec.default)
        expected = python_types.get(spec.type.json_type)
        if expected is not None:
            assert type(default) is expected, spec.name
        elif spec.type.json_type.startswith("array"):
            assert isinstance(default, list), spec.name
        else:
            assert default is None or isinstance(default, int), spec.name
