"""Per-user folders, the recorded backend interpreter, and refusals to launch."""

import platformdirs
import pytest

from shared.backend_launcher import (
    APP_NAME,
    LaunchError,
    config_dir,
    default_log_path,
    log_dir,
    record_backend,
    recorded_backend,
    start_backend,
)


@pytest.fixture
def home(tmp_path, monkeypatch):
    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "PORTRAIT_STYLIZATION_PYTHON"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("xdg", [False, True])
def test_folders_match_platformdirs(home, monkeypatch, xdg):
    if xdg:
        monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "cfg"))
        monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    assert str(config_dir()) == platformdirs.user_config_dir(APP_NAME, appauthor=False)
    assert str(log_dir()) == platformdirs.user_log_dir(APP_NAME, appauthor=False)
    assert default_log_path().parent == log_dir()


def test_the_recorded_interpreter_round_trips(home):
    assert recorded_backend() is None
    path = record_backend("/opt/venv/bin/python", project_dir="/src/portrait")
    assert path.parent == config_dir()
    assert recorded_backend() == {"python": "/opt/venv/bin/python",
                                  "project_dir": "/src/portrait"}


def test_the_environment_variable_overrides_the_record(home, monkeypatch):
    record_backend("/opt/venv/bin/python")
    monkeypatch.setenv("PORTRAIT_STYLIZATION_PYTHON", "/usr/local/bin/python3")
    assert recorded_backend() == {"python": "/usr/local/bin/python3", "project_dir": None}


@pytest.mark.parametrize("text", ["not json", "[1]", '{"python": 3}'])
def test_an_unreadable_record_counts_as_none(home, text):
    config_dir().mkdir(parents=True)
    (config_dir() / "backend.json").write_text(text)
    assert recorded_backend() is None


def test_launching_without_a_recorded_interpreter_says_what_to_do(home):
    with pytest.raises(LaunchError, match="install.py"):
        start_backend("tcp://127.0.0.1:1")


def test_launching_a_missing_interpreter_fails_clearly(home):
    with pytest.raises(LaunchError, match="cannot run the backend interpreter"):
        start_backend("tcp://127.0.0.1:1", python=str(home / "no-python"),
                      log_path=home / "log.txt")
    assert "starting:" in (home / "log.txt").read_text()
