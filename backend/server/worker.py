"""The worker: one thread per device that runs jobs one at a time on a kept ModelBundle.

It never touches the client socket (ZeroMQ sockets are not thread-safe): everything it has to
say goes to the socket loop over an inproc PUSH socket as ``[job id, kind, header, *frames]``,
the last two a :class:`shared.messages.JobEvent` as the client will receive it.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable

import zmq

from backend.engine import Cancelled, EngineError, OutOfMemory, ProgressEvent, model_needs, stylize
from backend.engine.events import is_out_of_memory
from backend.engine.fidelity import report_needs
from backend.engine.memory import return_cpu_memory
from backend.engine.style_cache import StyleTargetCache
from backend.models.bundle import ModelBundle
from backend.server.admission import JobTooLarge, check_fits_now
from backend.server.images import preview_image, result_image
from backend.server.jobs import CANCEL_REASONS, Job, JobQueue
from backend.weights import WeightsError
from shared import messages
from shared.options import Options
from shared.protocol import jsonable

WORKER_EVENTS = "inproc://portrait-stylization-worker-events"
PREVIEW_INTERVAL_S = 0.5
log = logging.getLogger(__name__)


def describe_failure(err: BaseException) -> tuple[str, str]:
    """The protocol error code and user-facing sentence for a job that raised ``err``."""
    if isinstance(err, OutOfMemory):
        return "out_of_memory", str(err)
    if isinstance(err, JobTooLarge):
        return "job_too_large", str(err)
    if isinstance(err, WeightsError):
        return "missing_weights", str(err)
    if isinstance(err, EngineError):
        return "engine_error", str(err)
    if is_out_of_memory(err):
        return "out_of_memory", ("the server ran out of memory for this job; try a smaller "
                                 "end_scale or fewer style images")
    return "internal_error", (f"the job failed unexpectedly ({type(err).__name__}: {err}); "
                              "the server goes on serving, and its log has the details")


class Worker(threading.Thread):
    """Takes jobs from ``queue`` until it is closed, after loading the models unless ``lazy``.
    ``models_loaded`` and ``load_error`` are snapshots the socket loop may read at any time."""

    def __init__(self, context: zmq.Context, queue: JobQueue, models: ModelBundle,
                 style_cache: StyleTargetCache, lazy: bool, progress_interval_s: float) -> None:
        super().__init__(name=f"worker-{models.device}", daemon=True)
        self._context = context
        self._queue = queue
        self.models = models
        self.style_cache = style_cache
        self._lazy = lazy
        self._progress_interval_s = progress_interval_s
        self.models_loaded: list[str] = []
        self.load_error: str | None = None
        self.ready = threading.Event()  # set once the models are loaded (at once when lazy);
        # jobs submitted before wait in the queue
        self.jobs_started = 0

    def run(self) -> None:
        outbox = self._context.socket(zmq.PUSH)
        outbox.connect(WORKER_EVENTS)
        try:
            if not self._lazy:
                self._preload()
            self.ready.set()
            while (job := self._queue.take()) is not None:
                self._run(job, outbox)
                del job  # its images go before the memory is handed back
                if self.models.device.type == "cpu":
                    return_cpu_memory()  # else a large job's heap stays with the process
        finally:
            outbox.close()

    def _preload(self) -> None:
        """What a job with the default options needs, and the models that every job's
        fidelity report uses (the detector, FaceMesh and the keypoint judge)."""
        try:
            self.models.preload([*model_needs(Options()), *report_needs(Options())])
        except Exception as err:  # reported in health and by each job; the server lives on
            self.load_error = str(err)
            log.error("models not loaded: %s", err)
        self.models_loaded = self.models.loaded()

    @staticmethod
    def _emit(outbox: zmq.Socket, event: messages.JobEvent) -> None:
        outbox.send_multipart([event.job_id.encode(), event.kind.encode(), *event.to_frames()],
                              copy=False)

    def _progress_sender(self, outbox: zmq.Socket,
                         job: Job) -> Callable[[ProgressEvent], None]:
        last_sent = last_preview = 0.0

        def on_progress(event: ProgressEvent) -> None:
            nonlocal last_sent, last_preview
            if event.scale_index == 0 and event.iteration == 1:  # the job's models are in
                self.models_loaded = self.models.loaded()
            # Previews are bounded in time too: at most one per PREVIEW_INTERVAL_S, and the
            # scale's last.
            if event.preview is not None and (
                    event.iteration == event.iterations
                    or time.monotonic() - last_preview >= PREVIEW_INTERVAL_S):
                last_preview = time.monotonic()
                self._emit(outbox, messages.Preview(
                    job_id=job.id, scale_index=event.scale_index, iteration=event.iteration,
                    image=preview_image(event.preview)))
            now = time.monotonic()
            # Throttled so a slow reader is not flooded; a scale's first and last always go.
            if (event.iteration in (1, event.iterations)
                    or now - last_sent >= self._progress_interval_s):
                last_sent = now
                self._emit(outbox, messages.Progress.of(job.id, event))
        return on_progress

    def _run(self, job: Job, outbox: zmq.Socket) -> None:
        self.jobs_started += 1
        started = time.monotonic()
        self._emit(outbox, messages.Started(job_id=job.id, sequence=job.sequence,
                                            run_index=self.jobs_started,
                                            device=str(self.models.device)))
        try:
            if job.cancel.is_set():
                raise Cancelled("cancelled before it started")
            check_fits_now(job.options, (job.content.shape[1], job.content.shape[0]),
                           [(style.shape[1], style.shape[0]) for style in job.styles],
                           self.models.device)
            result = stylize(job.content, job.styles, job.style_weights, job.options,
                             on_progress=self._progress_sender(outbox, job), cancel=job.cancel,
                             models=self.models, preview_interval=job.preview_interval,
                             style_cache=self.style_cache)
            image = result_image(result, job.result_dtype)
        except Cancelled:
            self._emit(outbox, messages.Cancelled(job_id=job.id, reason=job.cancel_reason,
                                                  message=CANCEL_REASONS[job.cancel_reason]))
        except Exception as err:  # any failure is reported; the server lives on
            code, message = describe_failure(err)
            if code == "internal_error":
                log.error("job %s failed:\n%s", job.id, traceback.format_exc())
            else:
                log.warning("job %s failed (%s): %s", job.id, code, message)
            self._emit(outbox, messages.Error(job_id=job.id, code=code, message=message))
        else:
            self._emit(outbox, messages.Done(
                job_id=job.id, image=image, metadata=jsonable(result.metadata),
                sequence=job.sequence, run_index=self.jobs_started,
                timings={"queued_s": round(started - job.submitted_at, 3),
                         "run_s": round(time.monotonic() - started, 3)}))
        finally:
            self.models_loaded = self.models.loaded()
