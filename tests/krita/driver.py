"""A test-only Krita plug-in that runs one scenario inside a real Krita and then quits.

The harness installs it beside the real plug-in (``pykrita/ps_test_driver/__init__.py``). When
Krita's first window exists it runs the code in ``$PS_TEST_SCENARIO`` with the helpers below,
writes what the scenario recorded in ``REPORT`` to ``$PS_TEST_OUT/report.json`` (the success
marker: it is written last, with ``"finished": true``) and leaves Krita. Message boxes that
appear meanwhile are read into ``REPORT["messages"]`` and answered, as a user would.

The scenario defines ``body()``, a generator: it gives control back to Krita's event loop with
``yield`` (milliseconds to wait) or ``yield from until(condition)``. Krita updates its layer
model, active layer and selection from that loop only, not from nested ``processEvents`` calls,
so every helper that needs Krita to catch up is a generator too (``yield from activate(...)``).
"""

import json
import os
import time
import traceback

from krita import Extension, Krita
from PyQt5.QtCore import QTimer
from PyQt5.QtGui import QImage
from PyQt5.QtWidgets import QApplication, QMessageBox

OUT = os.environ.get("PS_TEST_OUT", "")
REPORT = {"calls": {}, "messages": []}
POLL_MS = 20


def _answer_message_boxes():
    widget = QApplication.activeModalWidget()
    if isinstance(widget, QMessageBox):
        REPORT["messages"].append(widget.text())
        widget.accept()


def until(condition, timeout, what):
    """Let Krita run (events, signals, the plug-in's threads) until ``condition()`` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        yield POLL_MS
    return condition()


def new_document(width, height, name="Test"):
    """An 8-bit sRGB RGBA document without layers, shown in the window."""
    app = Krita.instance()
    document = app.createDocument(width, height, name, "RGBA", "U8", "sRGB-elle-V2-srgbtrc.icc",
                                  72.0)
    window = app.activeWindow()
    window.showView(window.addView(document))
    yield from until(lambda: app.activeDocument() is not None
                     and app.activeDocument().name() == name, 10, f"the document {name!r}")
    for node in document.topLevelNodes():
        node.remove()
    yield 50
    return document


def add_png_layer(document, path, name, offsets=(0, 0)):
    """A paint layer holding a PNG (8-bit RGBA), added at the top."""
    image = QImage(path).convertToFormat(QImage.Format_RGBA8888)
    rgba = bytearray(image.constBits().asstring(image.byteCount()))
    rgba[0::4], rgba[2::4] = rgba[2::4], rgba[0::4]  # Krita's 8-bit RGBA is B, G, R, A
    layer = document.createNode(name, "paintlayer")
    layer.setPixelData(bytes(rgba), offsets[0], offsets[1], image.width(), image.height())
    children = document.rootNode().childNodes()
    document.rootNode().addChildNode(layer, children[-1] if children else None)
    document.refreshProjection()
    yield 50
    return layer


def activate(document, node):
    document.setActiveNode(node)
    yield from until(lambda: document.activeNode() is not None
                     and document.activeNode().uniqueId() == node.uniqueId(), 10,
                     f"{node.name()!r} to be the active layer")


def select_all_layers(document, count):
    Krita.instance().action("select_all_layers").trigger()
    view = Krita.instance().activeWindow().activeView()
    yield from until(lambda: len(view.selectedNodes()) == count, 10, f"{count} selected layers")


def names(document):
    """Top-level layer names, top first (the global selection's mask left out)."""
    return [node.name() for node in reversed(document.rootNode().childNodes())
            if node.type() != "selectionmask"]


def layer_info(node):
    bounds = node.bounds()
    return {"name": node.name(), "type": node.type(), "depth": node.colorDepth(),
            "model": node.colorModel(), "id": node.uniqueId().toString(),
            "bounds": [bounds.x(), bounds.y(), bounds.width(), bounds.height()]}


def dump(node, key, bounds):
    """Raw pixels of ``bounds`` (x, y, w, h) of ``node`` into ``OUT/key.raw``."""
    with open(os.path.join(OUT, f"{key}.raw"), "wb") as out:
        out.write(bytes(node.pixelData(*bounds)))


def plugin_extension():
    for extension in Krita.instance().extensions():
        if type(extension).__name__ == "PortraitStylizationExtension":
            return extension
    raise AssertionError("the Portrait Stylization extension is not loaded")


def plugin_docker():
    for docker in Krita.instance().dockers():
        if type(docker).__name__ == "PortraitStylizationDocker":
            return docker
    raise AssertionError("the Portrait Stylization docker is not loaded")


def follow(job):
    """Record how a Stylization ends: ``{"finished": layer name | None, ...}``."""
    outcome = {}
    job.finished.connect(lambda layer, summary: outcome.update(finished=layer.name(),
                                                               summary=summary))
    job.failed.connect(lambda message: outcome.update(failed=message))
    job.cancelled.connect(lambda message: outcome.update(cancelled=message))
    job.progress.connect(lambda text, fraction: outcome.setdefault("progress", []).append(text))
    return outcome


def set_options(form, values):
    """Type option values into the docker's generated editors, as a user would."""
    for name, value in values.items():
        editor = form.editors[name]
        if hasattr(editor, "setValue"):
            editor.setValue(value)
        elif hasattr(editor, "setChecked"):
            editor.setChecked(value)
        else:
            editor.setCurrentIndex(editor.findData(value))


def choose_style(docker, index, label):
    docker.refresh()
    box = docker.style_boxes[index]
    position = box.findText(label)
    if position < 0:
        entries = [box.itemText(i) for i in range(box.count())]
        raise AssertionError(f"no style entry {label!r} in {entries}")
    box.setCurrentIndex(position)


def ended(outcome, timeout=300):
    yield from until(lambda: {"finished", "failed", "cancelled"} & set(outcome), timeout,
                     "the job to end")


def run_docker(docker):
    """Press Stylize and wait for the job's end; returns its outcome."""
    before = docker.job
    docker.stylize_button.click()
    if docker.job is before:
        return {"not_started": True}
    outcome = follow(docker.job)
    yield from ended(outcome)
    return outcome


def undo(document):
    """Edit ▸ Undo once; waits until the document's layers change."""
    before = names(document)
    Krita.instance().action("edit_undo").trigger()
    yield from until(lambda: names(document) != before, 20, "the undo to take effect")


def _finish():
    with open(os.path.join(OUT, "report.json.partial"), "w", encoding="utf-8") as out:
        json.dump({**REPORT, "finished": True}, out)
    os.replace(os.path.join(OUT, "report.json.partial"), os.path.join(OUT, "report.json"))
    for document in Krita.instance().documents():
        document.setModified(False)
    os._exit(0)  # Krita's own shutdown is not what is under test, and may crash headless


def _step(steps, boxes):
    try:
        delay = next(steps)
    except StopIteration:
        delay = None
    except BaseException:  # noqa: BLE001 - reported to the test, which fails on it
        REPORT["exception"] = traceback.format_exc()
        delay = None
    if delay is None:
        boxes.stop()
        _finish()
        return
    QTimer.singleShot(int(delay), lambda: _step(steps, boxes))


def _run_scenario():
    boxes = QTimer()
    boxes.timeout.connect(_answer_message_boxes)
    boxes.start(POLL_MS)
    try:
        with open(os.environ["PS_TEST_SCENARIO"], encoding="utf-8") as source:
            code = source.read()
        namespace = dict(globals())
        exec(compile(code, "scenario", "exec"), namespace)  # noqa: S102 - test code
        steps = namespace["body"]()
    except BaseException:  # noqa: BLE001 - reported to the test, which fails on it
        REPORT["exception"] = traceback.format_exc()
        _finish()
    _step(steps, boxes)


class ScenarioDriver(Extension):
    def setup(self):
        notifier = Krita.instance().notifier()
        notifier.windowCreated.connect(lambda: QTimer.singleShot(0, _run_scenario))

    def createActions(self, window):  # noqa: N802 - Krita's name
        pass


Krita.instance().addExtension(ScenarioDriver(Krita.instance()))
