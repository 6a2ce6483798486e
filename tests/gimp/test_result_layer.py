"""The result layer's life in a real GIMP 3, driven through the plug-in's own
:class:`gimp_plugin.canvas.ResultLayer`: previews go to a stand-in named as unfinished and kept
out of the undo history, so a plug-in that GIMP ends mid-job (a cancelled progress) leaves at
most that stand-in and no open undo group; the finished result replaces it."""

from __future__ import annotations

import pytest

from tests.gimp.scenarios import RESULT

pytestmark = pytest.mark.gimp

UNFINISHED = f"{RESULT} — unfinished"


@pytest.fixture(scope="module")
def run(gimp, photos):
    return gimp.run(f"""
import sys
sys.path.insert(0, {gimp.inside(gimp.plugin_dir / "vendor")!r})
from gimp_plugin import canvas as plugin_canvas
from shared.framing import ImageData

def frame(value):
    return ImageData(8, 8, 3, "u8", bytes([value]) * (8 * 8 * 3))

def body():
    image = canvas(80, 80)
    content = add_layer(image, {photos.portrait!r}, "Portrait")
    add_layer(image, {photos.style!r}, "Starry Night", position=0)
    region = plugin_canvas.Region(0, 0, content.get_width(), content.get_height())
    finished = plugin_canvas.ResultLayer(image, content, region, ["Starry Night"], "keep")
    finished.show_preview(frame(10))
    REPORT["during previews"] = layer_names(image)
    finished.show_preview(frame(20))
    finished.finish(frame(30), {{"test": True}})
    REPORT["finished"] = layer_names(image)
    # A second job that the plug-in's end interrupts while it shows previews.
    interrupted = plugin_canvas.ResultLayer(image, content, region, ["Starry Night"], "keep")
    interrupted.show_preview(frame(40))
    REPORT["interrupted"] = layer_names(image)
    REPORT["undo_enabled"] = image.undo_is_enabled()
scenario(body)
""")


def test_previews_show_in_a_layer_named_as_unfinished(run):
    assert run.report["during previews"] == ["Starry Night", UNFINISHED, "Portrait"]


def test_the_result_replaces_the_previews(run):
    assert run.report["finished"] == ["Starry Night", RESULT, "Portrait"]


def test_an_interrupted_job_leaves_only_a_clearly_named_partial_result(run):
    second = "Portrait — stylized 2 (Starry Night) — unfinished"
    assert run.report["interrupted"] == ["Starry Night", RESULT, second, "Portrait"]
    assert run.report["undo_enabled"]
    # GIMP closes undo groups a plug-in left open, and says so; here there are none.
    assert "inconsistent state" not in run.output
