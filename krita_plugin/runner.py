"""One job off Krita's main thread: connect (starting the backend if needed), submit, follow.

Krita's documents may only be touched on the main thread, and a job takes minutes, so the
conversation with the backend (:mod:`shared.session`) runs in a ``QThread`` and reports back
through Qt signals, which Qt delivers on the main thread. Cancelling sets a flag the session
reads after every event from the backend.
"""

from __future__ import annotations

from PyQt5.QtCore import QThread, pyqtSignal

from shared import session
from shared.plugin_settings import PluginSettings


class JobRunner(QThread):
    """Runs ``request`` against the backend ``settings`` name. Exactly one of ``succeeded``
    (image, metadata), ``failed`` (one line) or ``cancelled`` (one line) is emitted at the end;
    ``progress`` (text, fraction) and ``preview`` (ImageData) on the way."""

    progress = pyqtSignal(str, float)
    preview = pyqtSignal(object)
    succeeded = pyqtSignal(object, object)
    failed = pyqtSignal(str)
    cancelled = pyqtSignal(str)

    def __init__(self, settings: PluginSettings, request: session.Request,
                 with_previews: bool, parent=None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.request = request
        self.with_previews = with_previews
        self._cancel_requested = False

    def cancel(self) -> None:
        """Ask for the job to stop; ``cancelled`` follows once the backend confirms."""
        self._cancel_requested = True

    def run(self) -> None:
        self.progress.emit("Portrait Stylization: connecting to the backend (starting it if "
                           "needed)", 0.0)
        try:
            client = session.connect(self.settings)
            try:
                image, metadata = session.stylize(
                    client, self.request, self.progress.emit,
                    self.preview.emit if self.with_previews else None,
                    lambda: self._cancel_requested)
            finally:
                client.close()
        except session.StylizationCancelled as err:
            self.cancelled.emit(f"Cancelled: {err}")
        except session.StylizationFailed as err:
            self.failed.emit(str(err))
        except Exception as err:  # noqa: BLE001 - the user gets one line, never a traceback
            self.failed.emit(f"Portrait Stylization failed unexpectedly: {type(err).__name__}: "
                             f"{err}")
        else:
            self.succeeded.emit(image, metadata)
