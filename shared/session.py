"""One stylization as the plug-in sees it: reach the backend, submit, follow, collect.

Knows nothing of the editor (GIMP or Krita): progress and previews go to callbacks, and every way
a job can fail becomes a :class:`StylizationFailed` with one line for the user (or
:class:`StylizationCancelled`). Standard library, pyzmq and the ``shared`` client only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.backend_launcher import default_log_path
from shared.client import (
    START_POLL_S,
    BackendError,
    BackendUnavailable,
    Client,
    ImageData,
    JobCancelled,
    ProtocolMismatch,
)
from shared.job_time import TimeLeft, duration_text, rough_seconds, seconds_per_megapixel
from shared.messages import Preview, Progress, Queued, Started
from shared.options import Options
from shared.plugin_settings import PluginSettings
from shared.schedule import ScaleStep, scale_plan

# A backend on this machine answers health in milliseconds; waiting long for one that is not
# there only delays starting it. Later requests may carry large images, so they wait longer.
FIRST_CONTACT_S = 3.0
REQUEST_TIMEOUT_S = 30.0
ProgressCallback = Callable[[str, float], None]
PreviewCallback = Callable[[ImageData], None]


class StylizationFailed(RuntimeError):
    """The stylization did not produce an image; ``str()`` is one line for a GIMP message."""


class StylizationCancelled(RuntimeError):
    """The job was cancelled (from the backend's side, or by another client)."""


@dataclass
class Request:
    """What to stylize: the content (or its selected part), 1–2 styles and their weights, the
    engine options and the preview interval (iterations; 0 for none)."""

    content: ImageData
    styles: Sequence[ImageData]
    style_weights: Sequence[float] | None
    options: Options
    preview_interval: int = 0


def crop_face_boxes(options: Options, x: int, y: int, width: int, height: int) -> Options:
    """Options for a crop at ``(x, y)`` of ``width`` × ``height`` content pixels: face boxes
    move into the crop's coordinates, are clipped to it, and those left empty are dropped."""
    boxes = []
    for x0, y0, x1, y1 in options.face_boxes:
        clipped = (max(x0 - x, 0.0), max(y0 - y, 0.0), min(x1 - x, float(width)),
                   min(y1 - y, float(height)))
        if clipped[2] > clipped[0] and clipped[3] > clipped[1]:
            boxes.append(clipped)
    return options.replace(face_boxes=tuple(boxes))


def progress_text(event: Progress, seconds_left: float | None = None) -> str:
    """The status line for a progress event: scale, size and iteration, and roughly how long
    the job still takes when that is known."""
    left = "" if seconds_left is None else f", {duration_text(seconds_left)} left"
    return (f"Portrait Stylization: {event.scale_label()}, iteration {event.iteration}/"
            f"{event.iterations}{left}")


def started_text(event: Started, plan: Sequence[ScaleStep]) -> str:
    """The status line when the job starts: its size and, on a CPU, roughly how long it takes."""
    sizes = f"{len(plan)} {'size' if len(plan) == 1 else 'sizes'} up to " \
            f"{plan[-1].width}×{plan[-1].height} px"
    rough = rough_seconds(plan, event.device)
    took = "" if rough is None else f", {duration_text(rough)} on the CPU (rough estimate)"
    return f"Portrait Stylization: painting at {sizes}{took}"


def _first_line(text: str) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[0] if lines else "no details given"


def fetch_command(settings: PluginSettings) -> str:
    """The command that downloads the model files, next to the recorded interpreter when it
    is a virtual environment's ``python``."""
    python = Path(settings.python or "")
    if python.name.startswith("python"):
        return f"{python.with_name('portrait-stylize')} weights fetch"
    return "portrait-stylize weights fetch"


def log_path(settings: PluginSettings) -> str:
    """Where a backend the plug-in started writes its log."""
    return str(settings.log_path or default_log_path())


def _report_nothing(_text: str, _fraction: float) -> None:
    """Progress goes nowhere unless the caller shows it."""


def connect(settings: PluginSettings, on_progress: ProgressCallback = _report_nothing
            ) -> Client:
    """A client of a running backend; starts one (with the recorded interpreter) when none
    answers, saying so through ``on_progress`` (starting it loads the models, which takes a
    while). Raises :class:`StylizationFailed` when none can be reached or started, or when it
    speaks another protocol version."""
    client = Client(settings.endpoint, timeout=FIRST_CONTACT_S)
    try:
        on_progress("Portrait Stylization: connecting to the backend", 0.0)
        try:
            health = client.health(timeout=START_POLL_S)
        except BackendUnavailable:
            if settings.python is None:
                raise
            on_progress("Portrait Stylization: starting the backend and loading its models "
                        "(the first start takes a minute or so)", 0.0)
            health = client.ensure_running(settings.python, settings.server_args,
                                           settings.log_path)
        if health.get("loading"):
            on_progress("Portrait Stylization: the backend is loading its models", 0.0)
    except ProtocolMismatch as err:
        client.close()
        raise StylizationFailed(f"The backend at {settings.endpoint} speaks another protocol "
                                f"version and was not used: {_first_line(err.message)}") from err
    except BackendUnavailable as err:
        client.close()
        started = "" if settings.python is None else " and could not be started"
        raise StylizationFailed(f"The Portrait Stylization backend at {settings.endpoint} did not "
                                f"answer{started}: {_first_line(err.message)}") from err
    client.timeout = REQUEST_TIMEOUT_S
    return client


def running_device(settings: PluginSettings) -> str | None:
    """The device of a backend already answering at ``settings.endpoint`` (``cpu``,
    ``cuda:0``, …), asked with a short timeout; None when none answers (nothing is started)
    or it speaks another protocol version."""
    with Client(settings.endpoint, timeout=START_POLL_S) as client:
        try:
            return str(client.health()["device"])
        except (BackendUnavailable, ProtocolMismatch):
            return None


def failure_message(err: BackendError, settings: PluginSettings) -> str:
    """One line for a job the backend could not do, saying what to do about it."""
    if err.code == "missing_weights":
        return ("Portrait Stylization cannot run yet: its model files are not downloaded. In a "
                f"terminal, run '{fetch_command(settings)}', then run the filter again "
                f"(details in the backend's log, {log_path(settings)}).")
    if err.code == "out_of_memory":
        return ("The backend ran out of memory for this size: choose a smaller Result size "
                f"(px) and run the filter again ({_first_line(err.message)}).")
    return (f"The backend could not stylize ({err.code}): {_first_line(err.message)} "
            f"(details in the backend's log, {log_path(settings)}).")


def stylize(client: Client, request: Request, on_progress: ProgressCallback,
            on_preview: PreviewCallback | None = None,
            should_cancel: Callable[[], bool] | None = None, *,
            settings: PluginSettings | None = None) -> tuple[ImageData, dict[str, Any]]:
    """Run one job to its end: ``(image, metadata)``. Progress events reach ``on_progress`` as
    ``(text, fraction in [0, 1])``, preview frames ``on_preview``. ``should_cancel`` is asked
    after each event; when it says yes the job is cancelled (:class:`StylizationCancelled`).
    ``settings`` let a failure say which command to run and where the log is."""
    plan = scale_plan(request.options, (request.content.width, request.content.height))
    time_left = TimeLeft(plan)
    try:
        job = client.submit(request.content, list(request.styles), request.style_weights,
                            request.options, request.preview_interval if on_preview else 0)
        on_progress("Portrait Stylization: waiting for the backend", 0.0)
        cancel_sent = False
        for event in job.events():
            if not cancel_sent and should_cancel is not None and should_cancel():
                job.cancel()
                cancel_sent = True
            if isinstance(event, Progress):
                left = time_left.update(event.scale_index, event.iteration)
                on_progress(progress_text(event, left), float(event.fraction))
            elif isinstance(event, Started):
                time_left.prior = seconds_per_megapixel(event.device)
                on_progress(started_text(event, plan), 0.0)
            elif isinstance(event, Preview) and on_preview is not None:
                on_preview(event.image)
            elif isinstance(event, Queued) and event.position > 0:
                on_progress(f"Portrait Stylization: queued behind {event.position} job(s)", 0.0)
        return job.result()
    except JobCancelled as err:
        raise StylizationCancelled(_first_line(err.message)) from err
    except BackendUnavailable as err:
        raise StylizationFailed(f"The backend stopped answering: {_first_line(err.message)}"
                                ) from err
    except BackendError as err:
        raise StylizationFailed(failure_message(err, settings or PluginSettings())) from err


def fidelity_summary(metadata: dict[str, Any]) -> str | None:
    """One line on the face-fidelity report when faces were found (None otherwise): how far the
    face landmarks moved, as a share of the eye distance, and how many faces carry more fine
    texture than the photograph (``texture_exceeds``)."""
    report = (metadata.get("faces") or {}).get("fidelity") or []
    if not report:
        return None
    mean = sum(face["nme"] for face in report) / len(report)
    worst = max(face["max_normalised_error"] for face in report)
    faces = "1 face" if len(report) == 1 else f"{len(report)} faces"
    line = (f"Portrait Stylization: {faces}; landmarks moved {mean:.1%} of the eye distance on "
            f"average (at most {worst:.1%}).")
    textured = sum(1 for face in report if face.get("texture_exceeds"))
    if textured:
        line += (f" {textured} of them carr{'ies' if textured == 1 else 'y'} more fine texture "
                 f"than the photo.")
    if metadata.get("random_weights"):
        line += f" Made with seeded random {', '.join(metadata['random_weights'])} weights."
    return line
