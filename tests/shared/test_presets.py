"""Schedule presets (docs/engine.md, Presets): what a preset sets, and what wins over it."""

from __future__ import annotations

import pytest

from shared.job_time import work
from shared.options import PRESET_CHOICES, Options, option_specs
from shared.presets import PRESETS, with_preset
from shared.schedule import scale_plan

DEFAULTS = {spec.name: spec.default for spec in option_specs()}
SQUARE = (512, 512)


def test_every_choice_of_the_preset_option_is_a_preset() -> None:
    assert tuple(PRESETS) == PRESET_CHOICES


def test_no_preset_leaves_crowsons_schedule_untouched() -> None:
    assert Options().preset == "none"
    assert with_preset(Options()) == Options()


@pytest.mark.parametrize("name", [n for n in PRESETS if n != "none"])
def test_a_preset_sets_the_options_left_at_their_defaults(name: str) -> None:
    applied = with_preset(Options(preset=name))
    assert PRESETS[name]
    for option, value in PRESETS[name].items():
        assert value != DEFAULTS[option], option
        assert getattr(applied, option) == value
    assert applied.preset == name


def test_an_option_set_to_another_value_wins_over_the_preset() -> None:
    applied = with_preset(Options(preset="draft", iterations=77, step_size=0.03))
    assert (applied.iterations, applied.step_size) == (77, 0.03)
    assert applied.initial_iterations == PRESETS["draft"]["initial_iterations"]


def test_applying_a_preset_twice_changes_nothing_more() -> None:
    once = with_preset(Options(preset="balanced", end_scale=256))
    assert with_preset(once) == once


def test_a_preset_travels_in_the_protocol_as_its_name() -> None:
    sent = Options(preset="draft").to_dict()
    assert sent["preset"] == "draft"
    assert sent["initial_iterations"] == DEFAULTS["initial_iterations"]
    assert Options.from_dict(sent) == Options(preset="draft")


def test_the_plan_a_client_estimates_follows_the_preset() -> None:
    draft = scale_plan(Options(preset="draft", end_scale=256), SQUARE)
    assert [max(step.width, step.height) for step in draft] == [181, 256]  # min_scale 181
    assert [step.iterations for step in draft] == [
        PRESETS["draft"]["initial_iterations"], PRESETS["draft"]["iterations"]]


def test_the_draft_preset_costs_at_most_15_percent_of_the_default_work_at_256_px() -> None:
    default = work(scale_plan(Options(end_scale=256), SQUARE))
    draft = work(scale_plan(Options(preset="draft", end_scale=256), SQUARE))
    assert draft <= 0.15 * default
