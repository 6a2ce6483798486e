"""The procedure's arguments are generated from the engine's option definitions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gimp_plugin.arguments import (
    GIMP_INT_MAX,
    PLUGIN_ARGUMENTS,
    argument_values,
    dialog_arguments,
    engine_options,
    mnemonic_labels,
    option_arguments,
)
from shared.options import Options, OptionsError, option_specs
from tests.shared.option_values import values_of


def by_name():
    return {argument.name: argument for argument in dialog_arguments()}


def test_every_option_is_an_argument_named_with_dashes():
    names = set(by_name())
    assert {spec.name.replace("_", "-") for spec in option_specs()} <= names
    assert {"style-layer", "content-weight", "face-weight", "mesh-weight", "min-scale",
            "end-scale", "iterations", "initial-iterations", "background"} <= names


def test_help_defaults_and_ranges_come_from_the_option_specs():
    arguments = by_name()
    for spec in option_specs():
        argument = arguments[spec.name.replace("_", "-")]
        assert argument.option == spec.name
        assert argument.blurb.startswith(spec.tooltip)
        if spec.type.tag in ("float", "int"):
            assert argument.default == spec.default
            assert argument.minimum == spec.minimum
            assert argument.maximum == min(spec.maximum, GIMP_INT_MAX)
        if spec.type.tag == "str":
            assert argument.kind == "choice" and argument.choices == spec.choices


def test_labels_carry_no_mnemonic_underscores():
    assert all("_" not in argument.label for argument in dialog_arguments())
    assert by_name()["face-weight"].label == "Face likeness"


TECHNICAL_WORDS = ("VGG", "FaceNet", "FaceMesh", "MTCNN", "Adam", "EMA", "relu", "Inception",
                   "loss", "iteration", "scale fac", "Tv ", "_")


@pytest.mark.parametrize("argument", dialog_arguments(), ids=lambda argument: argument.name)
def test_the_dialog_speaks_to_artists(argument):
    for word in TECHNICAL_WORDS:
        assert word not in argument.label and word not in argument.blurb, word


@pytest.mark.parametrize("name", ["min-scale", "end-scale", "style-size", "min-face-size",
                                  "face-boxes"])
def test_sizes_in_pixels_say_so_in_their_label(name):
    assert by_name()[name].label.endswith("(px)")


def test_a_colour_is_text_for_scripts_and_marked_as_a_colour_for_the_dialog():
    colour = by_name()["background-colour"]
    assert colour.kind == "color" and colour.default == "255,255,255"
    assert engine_options({"background-colour": "10,20,30"}).background_colour == (10, 20, 30)


def test_the_default_arguments_give_the_default_options():
    defaults = {a.name: a.default for a in option_arguments()}
    assert engine_options(defaults) == Options()


def test_absent_arguments_take_the_option_defaults():
    assert engine_options({"face-weight": 0.5}) == Options(face_weight=0.5)


def test_argument_values_are_the_inverse_of_engine_options():
    options = Options(face_layers=(1, 2), face_boxes=((1.5, 2, 30, 40), (5, 6, 7, 8)),
                      style_size=256, background_colour=(1, 2, 3), init="gray")
    assert engine_options(argument_values(options)) == options


def test_zero_style_size_means_not_set():
    assert engine_options({"style-size": 0}).style_size is None
    assert engine_options({"style-size": 300}).style_size == 300


def test_an_empty_string_from_gimp_may_arrive_as_none():
    assert engine_options({"face-boxes": None}).face_boxes == ()


@pytest.mark.parametrize("values, words", [
    ({"face-layers": "0,x"}, "Face detail levels"),
    ({"face-boxes": "1,2,3"}, r"Face areas \(px\)"),
    ({"face-boxes": "1,2,3,nan"}, r"Face areas \(px\)"),
    ({"content-weight": -1.0}, "content_weight"),
    ({"background": "sky"}, "background"),
])
def test_unacceptable_values_name_the_argument(values, words):
    with pytest.raises(OptionsError, match=words):
        engine_options(values)


def test_plugin_arguments_come_first_and_have_no_option():
    arguments = dialog_arguments()
    assert arguments[:len(PLUGIN_ARGUMENTS)] == list(PLUGIN_ARGUMENTS)
    assert all(argument.option is None for argument in PLUGIN_ARGUMENTS)


def test_mnemonics_take_the_first_free_letter_and_avoid_the_dialog_buttons():
    marked = mnemonic_labels(["Style layer", "Second style layer", "Content weight", "Cool"])
    assert marked == ["S_tyle layer", "S_econd style layer", "Co_ntent weight", "Cool"]


def test_number_arguments_show_enough_digits_for_their_defaults():
    arguments = by_name()
    assert (arguments["content-weight"].digits, arguments["content-weight"].step) == (3, 0.001)
    assert (arguments["iterations"].digits, arguments["iterations"].step) == (0, 1)
    for argument in dialog_arguments():
        if argument.kind == "double":
            assert round(argument.default, argument.digits) == argument.default, argument.name
            assert 0 < argument.step <= argument.maximum - argument.minimum, argument.name


def test_a_text_argument_that_cannot_be_read_names_its_label_once():
    with pytest.raises(OptionsError, match=r"^Flat background colour: expected R,G,B \(0-255\) or "
                                           r"#rrggbb, got '#12'$"):
        engine_options({"background-colour": "#12"})


@settings(max_examples=150, deadline=None)
@given(st.fixed_dictionaries({}, optional={spec.name: values_of(spec.type)
                                           for spec in option_specs()}))
def test_any_options_survive_the_procedure_arguments(values):
    options = Options(**values)
    assert engine_options(argument_values(options)) == options
