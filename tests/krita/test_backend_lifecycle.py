"""The plug-in and the backend's life in a real Krita: starting it, and failing clearly.

- A backend that is not running is started by the plug-in with the interpreter the installer
  recorded, and the stylization goes through.
- A backend that dies mid-job, or that cannot be reached or started, gives one clear message
  box, and Krita carries on with nothing added.
"""

from __future__ import annotations

import os

import pytest

from shared.protocol import ENDPOINT_ENV
from tests.editor_backend import MISSING_PYTHON, backend_pid, backend_python_removed, no_backend_yet
from tests.krita.scenarios import TINY_OPTIONS

pytestmark = pytest.mark.krita


def docker_scenario(photos, key: str, kill_pid: int | None = None, **options) -> str:
    """Stylize once from the docker and record the outcome and any message box; with
    ``kill_pid``, kill that process (the backend) once the job reports iterations."""
    return f"""
import os, signal

def body():
    styles = yield from new_document(64, 64, "Styles")
    yield from add_png_layer(styles, {photos.style!r}, "Starry Night")
    document = yield from new_document(80, 80, "Portrait")
    content = yield from add_png_layer(document, {photos.portrait!r}, "Portrait")
    yield from activate(document, content)
    docker = plugin_docker()
    choose_style(docker, 0, "Styles ▸ Starry Night")
    set_options(docker.form, {{**{TINY_OPTIONS!r}, **{options!r}}})
    docker.stylize_button.click()
    outcome = follow(docker.job)
    if {kill_pid!r} is not None:
        yield from until(lambda: any("iteration" in text for text in outcome.get("progress", [])),
                         300, "the job to iterate")
        os.kill({kill_pid!r}, signal.SIGKILL)
    yield from ended(outcome)
    yield from until(lambda: "finished" in outcome or REPORT["messages"], 30, "a message")
    REPORT["calls"][{key!r}] = {{"outcome": outcome, "layers": names(document),
                                "messages": REPORT["messages"],
                                "stylize_enabled": docker.stylize_button.isEnabled()}}
"""


@pytest.fixture(scope="module")
def autostarted(krita, photos):
    """A stylization with no backend at the endpoint Krita's environment names."""
    with no_backend_yet() as env:
        yield env, krita.run(docker_scenario(photos, "autostart"), env=env)


def test_a_backend_that_is_not_running_is_started(autostarted):
    env, run = autostarted
    call = run.call("autostart")
    assert "finished" in call["outcome"], call
    assert call["layers"] == ["Starry Night", "Portrait"]
    assert backend_pid(env[ENDPOINT_ENV]) != os.getpid()


def test_a_backend_dying_mid_job_gives_a_clear_message(autostarted, krita, photos):
    env, _ = autostarted
    pid = backend_pid(env[ENDPOINT_ENV])
    run = krita.run(docker_scenario(photos, "dies", kill_pid=pid, initial_iterations=100000),
                    env=env)
    call = run.call("dies")
    assert "failed" in call["outcome"]
    assert len(call["messages"]) == 1
    assert "stopped answering" in call["messages"][0] and "\n" not in call["messages"][0]
    assert call["layers"] == ["Portrait"] and call["stylize_enabled"]


def test_a_backend_that_cannot_be_started_gives_a_clear_message(krita, photos):
    with backend_python_removed(krita.plugin_dir) as env:
        run = krita.run(docker_scenario(photos, "down"), env=env)
    call = run.call("down")
    assert "failed" in call["outcome"] and len(call["messages"]) == 1
    message = call["messages"][0]
    assert "did not answer and could not be started" in message and "\n" not in message
    assert MISSING_PYTHON in message
    assert call["layers"] == ["Portrait"] and call["stylize_enabled"]
