"""One stylization in Krita, from the chosen layers to the result layer.

Shared by the docker and the two-layer action: :func:`prepare` checks the layers and reads the
pixels (on the main thread, where Krita's documents live), :class:`Stylization` runs the job in
a :class:`~krita_plugin.runner.JobRunner` and, when it succeeds, inserts the result layer.
Problems the user can fix raise :class:`UserError` (one line).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PyQt5.QtCore import QObject, pyqtSignal

from krita_plugin import canvas
from krita_plugin.pixels import DepthError
from krita_plugin.runner import JobRunner
from shared import layers, result_size, session
from shared.options import Options, OptionsError
from shared.pixels import keeps_content_alpha
from shared.plugin_settings import PluginSettings, SettingsError


class UserError(Exception):
    """A problem the user can fix; shown as one line in a Krita message box."""


# What prepare() turns into a UserError: each carries a one-line message.
USER_ERRORS = (UserError, layers.SelectionError, OptionsError, SettingsError, DepthError)


@dataclass
class Prepared:
    """A checked request and where its result goes."""

    document: Any
    content: Any
    name: str
    request: session.Request
    result: canvas.ResultRequest


def prepare(document, content, styles: Sequence[Any], style_weights: Sequence[float] | None,
            options: Options, preview_interval: int) -> Prepared:
    """Check ``content`` (a node of ``document``) and ``styles`` (nodes of any open document)
    and read their pixels: only the selection's bounding box of the content is sent, with the
    face boxes (given in the content layer's pixels) moved into it. The result layer is named
    after the first style, and says when the result is computed smaller than the region and
    scaled up (``Starry Night, computed at 512 px, scaled up ×1.2``)."""
    content_item = canvas.describe(content)
    layers.pick_content([content_item])
    if not styles:
        raise UserError("Choose a style layer (any layer of an open document).")
    for style in styles:
        layers.check_style(canvas.describe(style), content_item)
    region = canvas.content_region(document, content)
    if region is None:
        raise UserError(f"'{content.name()}' has no pixels inside the selection to stylize.")
    content_image = canvas.read_image(content, region)
    bounds = content.bounds()
    options = session.crop_face_boxes(options, region.x - bounds.x(), region.y - bounds.y(),
                                      region.width, region.height)
    style_images = []
    for style in styles:
        bounds = style.bounds()
        if bounds.isEmpty():
            raise UserError(f"The style layer '{style.name()}' is empty.")
        style_images.append(canvas.read_image(style, canvas.Region(
            bounds.x(), bounds.y(), bounds.width(), bounds.height())))
    request = session.Request(content_image, style_images, style_weights, options,
                              preview_interval)
    keep_alpha = keeps_content_alpha(4, options.background)
    result = canvas.ResultRequest(region, canvas.colour_space(content),
                                  content_image if keep_alpha else None,
                                  canvas.selection_mask(document, region))
    size = (region.width, region.height)
    notice = result_size.upscale_notice(result_size.computed_size(options, size), size)
    name = styles[0].name() + (f", {notice}" if notice else "")
    return Prepared(document, content, name, request, result)


class Stylization(QObject):
    """Runs a :class:`Prepared` job and inserts its result. Signals: ``progress`` (text,
    fraction), ``preview`` (ImageData), and at the end one of ``finished`` (the new layer,
    the fidelity summary or ""), ``failed`` (one line) or ``cancelled`` (one line)."""

    progress = pyqtSignal(str, float)
    preview = pyqtSignal(object)
    finished = pyqtSignal(object, str)
    failed = pyqtSignal(str)
    cancelled = pyqtSignal(str)

    def __init__(self, prepared: Prepared, settings: PluginSettings, parent=None) -> None:
        super().__init__(parent)
        self.prepared = prepared
        self.device: str | None = None  # the backend's, from the result's metadata
        self.runner = JobRunner(settings, prepared.request,
                                prepared.request.preview_interval > 0, self)
        self.runner.progress.connect(self.progress)
        self.runner.preview.connect(self.preview)
        self.runner.failed.connect(self.failed)
        self.runner.cancelled.connect(self.cancelled)
        self.runner.succeeded.connect(self._insert)

    def start(self) -> None:
        self.runner.start()

    def cancel(self) -> None:
        self.runner.cancel()

    @property
    def running(self) -> bool:
        return self.runner.isRunning()

    def _insert(self, image, metadata: dict[str, Any]) -> None:
        prepared = self.prepared
        self.device = metadata.get("device")
        try:
            data = canvas.result_pixels(image, prepared.result)
            layer = canvas.insert_result(prepared.document, prepared.content, prepared.name,
                                         data, prepared.result.region, metadata)
        except Exception as err:  # noqa: BLE001 - one line for the user, never a traceback
            self.failed.emit(f"The result could not be inserted: {type(err).__name__}: {err}")
            return
        self.finished.emit(layer, session.fidelity_summary(metadata) or "")
