"""Portrait Stylization (selected layers) in a real Krita: the action for a shortcut.

One Krita session (module fixture): first the wrong selections, each answered with a one-line
message box; then a docker run that sets the last options; then the action on two selected
layers (all layers selected, as a user selects them), which uses those options."""

from __future__ import annotations

import pytest

from krita_plugin.install import ACTION_ID, DEFAULT_SHORTCUT
from tests.krita.scenarios import TINY_OPTIONS

pytestmark = pytest.mark.krita


@pytest.fixture(scope="module")
def run(krita, photos):
    return krita.run(f"""
def wrong(key, document, count):
    yield from select_all_layers(document, count)
    before = len(REPORT["messages"])
    Krita.instance().action({ACTION_ID!r}).trigger()
    yield from until(lambda: len(REPORT["messages"]) > before, 30, "a message")
    REPORT["calls"][key] = {{"message": REPORT["messages"][-1], "layers": names(document),
                            "jobs": len(plugin_extension().jobs)}}

def body():
    REPORT["shortcut"] = Krita.instance().action({ACTION_ID!r}).shortcut().toString()
    document = yield from new_document(80, 80, "Three")
    for path, name in (({photos.portrait!r}, "Portrait"), ({photos.style!r}, "Starry Night"),
                       ({photos.second_style!r}, "Bricks")):
        yield from add_png_layer(document, path, name)
    yield from wrong("three layers", document, 3)
    grouped = yield from new_document(80, 80, "Grouped")
    yield from add_png_layer(grouped, {photos.portrait!r}, "Portrait")
    group = grouped.createGroupLayer("Group")
    grouped.rootNode().addChildNode(group, None)
    yield 100
    yield from wrong("a group", grouped, 2)
    single = yield from new_document(80, 80, "Single")
    content = yield from add_png_layer(single, {photos.portrait!r}, "Portrait")
    yield from wrong("one layer", single, 1)

    style = yield from add_png_layer(single, {photos.style!r}, "Starry Night")
    docker = plugin_docker()
    yield from activate(single, content)
    choose_style(docker, 0, "Single ▸ Starry Night")
    set_options(docker.form, {{**{TINY_OPTIONS!r}, "content_weight": 0.02}})
    first = yield from run_docker(docker)
    REPORT["calls"]["docker"] = {{"outcome": first}}
    yield from undo(single)

    yield from select_all_layers(single, 2)
    Krita.instance().action({ACTION_ID!r}).trigger()
    job = plugin_extension().jobs[-1]
    outcome = follow(job)
    dialogs = [widget for widget in QApplication.topLevelWidgets()
               if widget.objectName() == "portrait_stylization_progress"]
    REPORT["progress_dialog_shown"] = any(dialog.isVisible() for dialog in dialogs)
    yield from ended(outcome)
    layers = list(reversed(single.rootNode().childNodes()))
    record = json.loads(bytes(single.annotation("portrait-stylization")).decode())
    REPORT["calls"]["quick"] = {{
        "outcome": outcome, "layers": names(single),
        "ids": [layer.uniqueId().toString() for layer in layers],
        "style_id": style.uniqueId().toString(), "content": layer_info(content),
        "result": layer_info(layers[1]), "metadata": record.get(layers[1].uniqueId().toString()),
        "progress_dialog_left": any(widget.isVisible() for widget in QApplication.topLevelWidgets()
                                    if widget.objectName() == "portrait_stylization_progress")}}
""")


@pytest.mark.parametrize("case, words", [
    ("one layer", "1 item is selected"),
    ("three layers", "3 items are selected"),
    ("a group", "'Group' is a layer group"),
])
def test_a_wrong_selection_gets_a_one_line_message(run, case, words):
    call = run.call(case)
    assert words in call["message"] and "\n" not in call["message"]
    assert "Portrait Stylization" not in call["layers"] and call["jobs"] == 0


def test_the_lower_layer_is_stylized_after_the_upper_one(run):
    call = run.call("quick")
    assert "finished" in call["outcome"], call
    assert call["layers"] == ["Starry Night", "Starry Night", "Portrait"]
    assert call["ids"][0] == call["style_id"] != call["ids"][1]
    assert call["result"]["bounds"] == call["content"]["bounds"]


def test_the_action_uses_the_dockers_last_options(run):
    assert "finished" in run.call("docker")["outcome"]
    options = run.call("quick")["metadata"]["options"]
    assert options["end_scale"] == 64 and options["content_weight"] == 0.02


def test_the_action_shows_its_progress_and_closes_it(run):
    assert run.report["progress_dialog_shown"]
    assert not run.call("quick")["progress_dialog_left"]


def test_the_action_has_its_default_shortcut(run):
    assert run.report["shortcut"] == DEFAULT_SHORTCUT
