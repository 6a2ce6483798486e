"""The Portrait Stylization docker (Settings ▸ Dockers ▸ Portrait Stylization).

The content is the active layer of the active document; the styles are chosen from every layer
of every open document (a second style with its weight is optional). Below them the options
(generated, with the result size in words above "End scale", :mod:`krita_plugin.size_words`),
the preview interval, Stylize and Cancel, a progress bar with the scale and iteration, and the
live preview.
"""

from __future__ import annotations

import contextlib

from krita import DockWidget, Krita
from PyQt5.QtCore import Qt
from PyQt5.QtGui import QImage, QPixmap
from PyQt5.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from krita_plugin import canvas, messages
from krita_plugin.number_fields import DecimalField
from krita_plugin.option_form import OptionForm
from krita_plugin.settings import LastOptions, has_last, load_last, load_settings, save_last
from krita_plugin.size_words import SizeWords
from krita_plugin.stylization import USER_ERRORS, Stylization, UserError, prepare
from shared import session
from shared.framing import ImageData
from shared.plugin_settings import SettingsError
from shared.protocol import MAX_STYLES

DOCKER_ID = "portrait_stylization_docker"
TITLE = "Portrait Stylization"
PREVIEW_SIZE = 240
PROGRESS_STEPS = 1000
NO_STYLE = "(none)"


def style_choices() -> list[tuple[str, object]]:
    """``(label, node)`` for every layer of every open document."""
    choices = []
    for document in Krita.instance().documents():
        name = document.name() or "Untitled"
        for path, node in canvas.walk_layers(document.rootNode()):
            choices.append((f"{name} ▸ {path}", node))
    return choices


def preview_pixmap(frame: ImageData) -> QPixmap:
    """An 8-bit RGB preview frame as a pixmap no larger than the preview area."""
    image = QImage(frame.data, frame.width, frame.height, frame.width * 3,
                   QImage.Format_RGB888).copy()
    return QPixmap.fromImage(image).scaled(PREVIEW_SIZE, PREVIEW_SIZE, Qt.KeepAspectRatio,
                                           Qt.SmoothTransformation)


class PortraitStylizationDocker(DockWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle(TITLE)
        self.job: Stylization | None = None
        body = QWidget()
        layout = QVBoxLayout(body)
        self.content_label = QLabel()
        self.content_label.setWordWrap(True)
        layout.addWidget(self.content_label)
        layout.addLayout(self._style_rows())
        self.form = OptionForm()
        layout.addWidget(self.form)
        self.preview_interval = QSpinBox()
        self.preview_interval.setObjectName("preview_interval")
        self.preview_interval.setRange(0, 100000)
        self.preview_interval.setToolTip("show the result so far every this many iterations "
                                         "(0: no preview)")
        form = QFormLayout()
        form.addRow("Preview every", self.preview_interval)
        layout.addLayout(form)
        layout.addLayout(self._buttons())
        self.progress = QProgressBar()
        self.progress.setRange(0, PROGRESS_STEPS)
        self.status = QLabel()
        self.status.setObjectName("status")
        self.status.setWordWrap(True)
        self.preview = QLabel()
        self.preview.setObjectName("preview")
        self.preview.setAlignment(Qt.AlignCenter)
        for widget in (self.progress, self.status, self.preview):
            layout.addWidget(widget)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        self.setWidget(scroll)
        self._show_last()
        self.sizes = SizeWords(self.form, not has_last(), self)
        self.refresh()
        self.ask_device()

    def _style_rows(self) -> QFormLayout:
        rows = QFormLayout()
        self.style_boxes: list[QComboBox] = []
        self.weight_boxes: list[DecimalField] = []
        for index in range(MAX_STYLES):
            # As GIMP's "Second style share": steps of 0.1, at most 2 places.
            box, weight = QComboBox(), DecimalField(0.1, 2)
            box.setObjectName(f"style_{index}")
            weight.setObjectName(f"style_weight_{index}")
            weight.setRange(0.0, 100.0)
            weight.setValue(1.0)
            weight.setToolTip("weight of this style relative to the others")
            row = QHBoxLayout()
            row.addWidget(box, 1)
            row.addWidget(weight)
            rows.addRow("Style" if index == 0 else f"Style {index + 1}", row)
            self.style_boxes.append(box)
            self.weight_boxes.append(weight)
        self.refresh_button = QPushButton("Refresh layers")
        self.refresh_button.clicked.connect(self.refresh)
        self.refresh_button.clicked.connect(self.ask_device)
        rows.addRow(self.refresh_button)
        return rows

    def _buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.stylize_button = QPushButton("Stylize")
        self.stylize_button.setObjectName("stylize")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancel")
        self.cancel_button.setEnabled(False)
        self.stylize_button.clicked.connect(self.stylize)
        self.cancel_button.clicked.connect(self.cancel)
        row.addWidget(self.stylize_button)
        row.addWidget(self.cancel_button)
        return row

    def _show_last(self) -> None:
        try:
            last = load_last()
        except USER_ERRORS as err:
            self.status.setText(str(err))
            last = LastOptions()
        self.form.set_options(last.options)
        self.preview_interval.setValue(last.preview_interval)

    def canvasChanged(self, canvas) -> None:  # noqa: N802 - Krita's name
        self.refresh()

    def ask_device(self) -> None:
        """Ask a backend that already runs for its device (nothing is started; one second at
        most when none answers), for the result size's default and time line."""
        if self.sizes.device is not None:
            return
        with contextlib.suppress(SettingsError):  # Stylize says what to do
            self.sizes.set_device(session.running_device(load_settings()))

    def refresh(self) -> None:
        """List the layers of the open documents again and show the content layer."""
        choices = style_choices()
        for index, box in enumerate(self.style_boxes):
            chosen = box.currentData()
            box.clear()
            if index > 0:
                box.addItem(NO_STYLE, None)
            for label, node in choices:
                box.addItem(label, node)
            for position in range(box.count()):
                node = box.itemData(position)
                if chosen is not None and node is not None and node.uniqueId() == \
                        chosen.uniqueId():
                    box.setCurrentIndex(position)
        document = Krita.instance().activeDocument()
        node = document.activeNode() if document is not None else None
        self.content_label.setText(
            f"Content: '{node.name()}' in {document.name() or 'Untitled'}" if node is not None
            else "Content: open a document and select the layer to stylize")
        region = canvas.content_region(document, node) if node is not None else None
        self.sizes.set_content(None if region is None else (region.width, region.height),
                               document is not None and document.selection() is not None)

    def chosen_styles(self) -> tuple[list, list[float] | None]:
        styles, weights = [], []
        for box, weight in zip(self.style_boxes, self.weight_boxes, strict=True):
            node = box.currentData()
            if node is not None and weight.value() > 0:
                styles.append(node)
                weights.append(weight.value())
        return styles, (weights if len(styles) > 1 else None)

    def stylize(self) -> None:
        if self.job is not None and self.job.running:
            return
        try:
            document = Krita.instance().activeDocument()
            if document is None or document.activeNode() is None:
                raise UserError("Open a document and select the layer to stylize.")
            styles, weights = self.chosen_styles()
            options = self.form.options()
            interval = self.preview_interval.value()
            prepared = prepare(document, document.activeNode(), styles, weights, options,
                               interval)
            job = Stylization(prepared, load_settings(), self)
        except USER_ERRORS as err:
            messages.show_error(self, str(err))
            return
        self.last = LastOptions(options, interval)
        job.progress.connect(self._on_progress)
        job.preview.connect(lambda frame: self.preview.setPixmap(preview_pixmap(frame)))
        job.finished.connect(self._on_finished)
        job.failed.connect(self._on_failed)
        job.cancelled.connect(self._on_cancelled)
        self.job = job
        self._busy(True)
        self.preview.clear()
        job.start()

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.status.setText("Portrait Stylization: cancelling…")

    def _busy(self, busy: bool) -> None:
        self.stylize_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        if busy:
            self.progress.setValue(0)

    def _on_progress(self, text: str, fraction: float) -> None:
        self.status.setText(text)
        self.progress.setValue(round(fraction * PROGRESS_STEPS))

    def _on_finished(self, layer, summary: str) -> None:
        self._busy(False)
        self.progress.setValue(PROGRESS_STEPS)
        save_last(self.last)
        self.sizes.follow_device = False  # the size just used is the one to recall
        self.sizes.set_device(self.job.device)
        self.status.setText(summary or f"Portrait Stylization: added the layer '{layer.name()}'")

    def _on_failed(self, message: str) -> None:
        self._busy(False)
        self.status.setText(message)
        messages.show_error(self, message)

    def _on_cancelled(self, message: str) -> None:
        self._busy(False)
        self.progress.setValue(0)
        self.status.setText(message)
