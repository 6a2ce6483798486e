"""The plug-in's place in Krita: the docker and the two-layer action.

- Settings ▸ Dockers ▸ Portrait Stylization: the docker (:mod:`krita_plugin.docker`).
- Tools ▸ Scripts ▸ Portrait Stylization (selected layers): of exactly two selected layers the
  upper one is the style and the lower one the content, stylized with the docker's last options.
  Its shortcut is set in Settings ▸ Configure Krita ▸ Keyboard Shortcuts; the installer gives it
  a default through an ``.action`` file.
"""

from __future__ import annotations

from pathlib import Path

from krita import DockWidgetFactory, DockWidgetFactoryBase, Extension, Krita
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QProgressDialog

from krita_plugin import canvas, messages
from krita_plugin.docker import DOCKER_ID, PortraitStylizationDocker
from krita_plugin.settings import load_last, load_settings, set_plugin_folder
from krita_plugin.stylization import USER_ERRORS, Stylization, UserError, prepare
from shared import layers

ACTION_ID = "portrait_stylization_selected"
ACTION_TEXT = "Portrait Stylization (selected layers)"
ACTION_MENU = "tools/scripts"
PROGRESS_STEPS = 1000


def _window_parent():
    window = Krita.instance().activeWindow()
    return window.qwindow() if window is not None else None


class PortraitStylizationExtension(Extension):
    def __init__(self, parent) -> None:
        super().__init__(parent)
        self.jobs: list[Stylization] = []

    def setup(self) -> None:
        pass

    def createActions(self, window) -> None:  # noqa: N802 - Krita's name
        action = window.createAction(ACTION_ID, ACTION_TEXT, ACTION_MENU)
        action.triggered.connect(self.stylize_selected)

    def stylize_selected(self) -> None:
        """Stylize the lower of two selected layers after the upper one."""
        parent = _window_parent()
        try:
            window = Krita.instance().activeWindow()
            view = window.activeView() if window is not None else None
            if view is None or view.document() is None:
                raise UserError("Open a document and select two layers (the upper one is the "
                                "style, the lower one the content).")
            style, content = layers.pick_style_and_content(
                [canvas.describe(node) for node in view.selectedNodes()])
            last = load_last()
            prepared = prepare(view.document(), content.handle, [style.handle], None,
                               last.options, 0)
            job = Stylization(prepared, load_settings(), self)
        except USER_ERRORS as err:
            messages.show_error(parent, str(err))
            return
        self._follow(job, parent)
        job.start()

    def _follow(self, job: Stylization, parent) -> None:
        dialog = QProgressDialog("Portrait Stylization: starting", "Cancel", 0, PROGRESS_STEPS,
                                 parent)
        dialog.setObjectName("portrait_stylization_progress")
        dialog.setWindowTitle(messages.TITLE)
        dialog.setWindowModality(Qt.NonModal)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setMinimumDuration(0)
        dialog.canceled.connect(job.cancel)

        def show(text: str, fraction: float) -> None:
            dialog.setLabelText(text)
            dialog.setValue(round(fraction * PROGRESS_STEPS))

        def done(*_) -> None:
            dialog.canceled.disconnect(job.cancel)
            dialog.close()
            dialog.deleteLater()
            self.jobs.remove(job)

        job.progress.connect(show)
        job.finished.connect(done)
        job.cancelled.connect(done)
        job.failed.connect(done)
        job.failed.connect(lambda message: messages.show_error(parent, message))
        self.jobs.append(job)
        dialog.show()


def register(plugin_folder: Path) -> None:
    """Add the extension and the docker to Krita (called by the installed entry module)."""
    set_plugin_folder(plugin_folder)
    app = Krita.instance()
    app.addExtension(PortraitStylizationExtension(app))
    app.addDockWidgetFactory(DockWidgetFactory(DOCKER_ID, DockWidgetFactoryBase.DockRight,
                                               PortraitStylizationDocker))
