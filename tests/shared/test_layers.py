"""Which selected layer is the style and which the content."""

from __future__ import annotations

import pytest

from shared.layers import (
    CHANNEL,
    GROUP,
    LAYER,
    LAYER_MASK,
    SelectedItem,
    SelectionError,
    check_style,
    pick_content,
    pick_style_and_content,
    result_name,
    unfinished_name,
)


def layer(name, *path, kind=LAYER):
    return SelectedItem(name, kind, tuple(path), handle=name)


def test_the_upper_layer_is_the_style_whatever_the_selection_order():
    upper, lower = layer("style", 0), layer("content", 3)
    assert pick_style_and_content([lower, upper]) == (upper, lower)
    assert pick_style_and_content([upper, lower]) == (upper, lower)


def test_layers_in_groups_compare_by_their_whole_stacking_path():
    in_top_group, below = layer("in group", 1, 5), layer("below the group", 2)
    assert pick_style_and_content([below, in_top_group]) == (in_top_group, below)


@pytest.mark.parametrize("items, words", [
    ([layer("a", 0)], "1 item is selected"),
    ([layer("a", 0), layer("b", 1), layer("c", 2)], "3 items are selected"),
    ([layer("g", 0, kind=GROUP), layer("b", 1)], "'g' is a layer group"),
    ([layer("a", 0), SelectedItem("Red", CHANNEL, ())], "'Red' is a channel"),
    ([layer("a", 0), SelectedItem("mask", LAYER_MASK, ())], "'mask' is a layer mask"),
])
def test_wrong_selections_get_one_line(items, words):
    with pytest.raises(SelectionError, match=words) as caught:
        pick_style_and_content(items)
    assert "\n" not in str(caught.value)


def test_the_dialog_procedure_stylizes_one_layer():
    assert pick_content([layer("a", 2)]).name == "a"
    with pytest.raises(SelectionError, match="exactly one"):
        pick_content([layer("a", 0), layer("b", 1)])
    with pytest.raises(SelectionError, match="is a channel"):
        pick_content([SelectedItem("Red", CHANNEL, ())])


def test_the_style_must_be_another_plain_layer():
    content = layer("content", 1)
    assert check_style(layer("style", 0), content).name == "style"
    with pytest.raises(SelectionError, match="Choose a style layer"):
        check_style(None, content)
    with pytest.raises(SelectionError, match="content layer itself"):
        check_style(layer("content", 1), content)
    with pytest.raises(SelectionError, match="layer group"):
        check_style(layer("g", 0, kind=GROUP), content)


def test_the_result_is_named_after_what_it_is():
    assert result_name("Portrait", ["Starry Night"], set()) == "Portrait — stylized (Starry Night)"
    assert (result_name("Portrait", ["Starry Night", "Bricks"], {"Portrait"})
            == "Portrait — stylized (Starry Night + Bricks)")


def test_result_names_stay_unique_without_gimps_number_suffix():
    first = result_name("Portrait", ["Starry Night"], set())
    second = result_name("Portrait", ["Starry Night"], {first})
    third = result_name("Portrait", ["Starry Night"], {first, second})
    assert (second, third) == ("Portrait — stylized 2 (Starry Night)",
                               "Portrait — stylized 3 (Starry Night)")
    assert "#" not in second + third


def test_a_name_left_by_an_unfinished_run_is_not_reused():
    left = unfinished_name("Portrait — stylized (Starry Night)")
    assert left == "Portrait — stylized (Starry Night) — unfinished"
    assert result_name("Portrait", ["Starry Night"], {left}) == (
        "Portrait — stylized 2 (Starry Night)")


def test_a_scaled_up_result_says_so_in_its_name_and_stays_unique():
    notice = "computed at 512 px, scaled up ×1.2"
    first = result_name("Portrait", ["Starry Night"], set(), notice)
    assert first == "Portrait — stylized (Starry Night), computed at 512 px, scaled up ×1.2"
    assert result_name("Portrait", ["Starry Night"], {first}, notice) == (
        "Portrait — stylized 2 (Starry Night), computed at 512 px, scaled up ×1.2")
