"""The plug-in and the backend's life in a real GIMP 3: cancelling, starting, failing.

- Cancelling GIMP's progress makes GIMP kill the plug-in (a quit message, then SIGKILL after
  10 ms); the backend must notice its client is gone and cancel the job.
- A backend that is not running is started by the plug-in with the recorded interpreter.
- A backend that cannot be reached or started, or that dies mid-job, gives one clear message,
  and GIMP carries on.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable

import pytest

from gimp_plugin.settings import LAST_OPTIONS_FILE
from shared.client import Client
from shared.job_time import CPU_FIRST_RUN
from shared.options import Options
from shared.protocol import ENDPOINT_ENV
from tests.editor_backend import MISSING_PYTHON, backend_pid, backend_python_removed, no_backend_yet
from tests.gimp.harness import plugin_processes
from tests.gimp.scenarios import DIALOG, RESULT, SELECTED, TINY, arguments_text

pytestmark = pytest.mark.gimp

POLL_S = 0.2


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> object:
    """Poll an observable state (a process, a server's health) until ``condition()`` is truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(POLL_S)


def one_call(photos, key: str, **options) -> str:
    """A scenario that stylizes once, records the outcome, then shows GIMP still works."""
    values = {**TINY, **options}
    return f"""
def body():
    image = canvas(80, 80)
    content = add_layer(image, {photos.portrait!r}, "Portrait")
    style = add_layer(image, {photos.style!r}, "Starry Night", position=0)
    result = run_procedure({DIALOG!r}, image, [content], style_layer=style,
                           {arguments_text(values)})
    REPORT["calls"][{key!r}] = {{"status": result["status"], "error": result["error"],
                                "layers": layer_names(image)}}
    after = Gimp.Layer.new(image, "Made afterwards", 8, 8, Gimp.ImageType.RGBA_IMAGE, 100.0,
                           Gimp.LayerMode.NORMAL)
    image.insert_layer(after, None, 0)
    REPORT["calls"][{key!r}]["gimp_still_works"] = layer_names(image)[0] == "Made afterwards"
    REPORT["calls"][{key!r}]["undo_enabled"] = image.undo_is_enabled()
scenario(body)
"""


def _jobs_running(client: Client) -> int:
    """Jobs running on the backend; another client sees only the count (jobs are owned)."""
    return client.health()["jobs_running"]


def test_cancelling_gimps_progress_cancels_the_backend_job(gimp, photos, backend):
    process, out_dir = gimp.start(one_call(photos, "cancel", initial_iterations=100000,
                                           preview_interval=0))
    with backend.client() as client:
        wait_for(lambda: _jobs_running(client) == 1, 120, "the job to start")
        plugins = plugin_processes(process)
        assert len(plugins) == 1
        os.kill(plugins[0], signal.SIGKILL)  # what GIMP does when its progress is cancelled
        wait_for(lambda: _jobs_running(client) == 0, 30, "the backend to drop the job")
        assert client.health()["queue_length"] == 0
    run = gimp.finish(process, out_dir)
    call = run.call("cancel")
    assert call["status"] != "success"
    assert call["gimp_still_works"] and run.returncode == 0
    # Nothing left behind, and no undo group left open for GIMP to close with a warning.
    assert call["layers"] == ["Starry Night", "Portrait"]
    assert call["undo_enabled"]
    assert "inconsistent state" not in run.output


def test_the_quick_commands_first_run_suits_a_cpu(gimp, photos, backend):
    # With no options chosen yet, the two-layer command must not start Crowson's full job
    # (hours on a CPU): it picks the short ladder for the backend's device, remembers it, and
    # the dialog then starts from it too. The test backend runs on the CPU.
    with backend.client() as client:
        assert client.health()["device"] == "cpu"
    remembered = gimp.home / ".config" / "GIMP" / "3.0" / "plug-in-settings" / LAST_OPTIONS_FILE
    before = remembered.read_bytes() if remembered.exists() else None
    remembered.unlink(missing_ok=True)
    try:
        process, out_dir = gimp.start(f"""
def body():
    image = canvas(80, 80)
    content = add_layer(image, {photos.portrait!r}, "Portrait")
    style = add_layer(image, {photos.style!r}, "Starry Night", position=0)
    result = run_procedure({SELECTED!r}, image, [content, style])
    REPORT["calls"]["quick"] = {{"status": result["status"], "error": result["error"]}}
scenario(body)
""")
        with backend.client() as client:
            wait_for(lambda: _jobs_running(client) == 1, 120, "the job to start")
            os.kill(plugin_processes(process)[0], signal.SIGKILL)  # as GIMP's cancel does
            wait_for(lambda: _jobs_running(client) == 0, 30, "the backend to drop the job")
        gimp.finish(process, out_dir)
        chosen = json.loads(remembered.read_text())["options"]
    finally:
        if before is None:
            remembered.unlink(missing_ok=True)
        else:
            remembered.write_bytes(before)
    assert {key: chosen[key] for key in CPU_FIRST_RUN} == CPU_FIRST_RUN
    assert chosen["end_scale"] < Options().end_scale


@pytest.fixture(scope="module")
def autostarted(gimp, photos):
    """A stylization with no backend at the endpoint GIMP's environment names."""
    with no_backend_yet() as env:
        yield env, gimp.run(one_call(photos, "autostart"), env=env)


def test_a_backend_that_is_not_running_is_started(autostarted):
    env, run = autostarted
    call = run.call("autostart")
    assert call["status"] == "success", call["error"]
    assert call["layers"][:3] == ["Starry Night", RESULT, "Portrait"]
    assert backend_pid(env[ENDPOINT_ENV]) != os.getpid()


def test_a_backend_dying_mid_job_gives_a_clear_message(autostarted, gimp, photos):
    env, _ = autostarted
    with Client(env[ENDPOINT_ENV], timeout=5.0) as client:
        pid = client.health()["pid"]
        process, out_dir = gimp.start(one_call(photos, "dies", initial_iterations=100000),
                                      env=env)
        wait_for(lambda: _jobs_running(client) == 1, 120, "the job to start")
    os.kill(pid, signal.SIGKILL)
    run = gimp.finish(process, out_dir)
    call = run.call("dies")
    assert call["status"] == "execution-error"
    assert "stopped answering" in call["error"] and "\n" not in call["error"]
    assert call["gimp_still_works"] and run.returncode == 0
    assert call["layers"] == ["Starry Night", "Portrait"]


def test_a_backend_that_cannot_be_started_gives_a_clear_message(gimp, photos):
    with backend_python_removed(gimp.plugin_dir) as env:
        run = gimp.run(one_call(photos, "down"), env=env)
    call = run.call("down")
    assert call["status"] == "execution-error"
    assert "did not answer and could not be started" in call["error"]
    assert MISSING_PYTHON in call["error"] and "\n" not in call["error"]
    assert call["gimp_still_works"] and run.returncode == 0
    assert call["layers"] == ["Starry Night", "Portrait"]
