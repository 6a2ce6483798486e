"""A real Krita 5 with the plug-in installed, run headless, driven by scenario code.

Debian's ``krita`` package (installed here when missing, as root, under a file lock) gives
Krita 5 and its Python. ``kritarunner`` runs the window-less checks (the colour path,
:mod:`tests.krita.colour_roundtrip`), but it cannot open a window (``Krita.openWindow`` crashes
it), and without a window there is no view, no selected layers, no actions and no undo: what the
plug-in's docker and two-layer action need. So the tests start the real ``krita`` under a
virtual X display (``xvfb-run``; Krita insists on the xcb platform) with a scratch profile
(``HOME``/``XDG_*``), the plug-in installed there by ``python -m krita_plugin.install`` as a
user would, and a test-only driver plug-in (:mod:`tests.krita.driver`) that runs one scenario
and writes its report last.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from filelock import FileLock

from tests.editor_backend import EditorRun, collect_run
from tests.gimp.gimp_root import CACHE

REPO = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("driver.py")
DRIVER_NAME = "ps_test_driver"
# Krita only recommends PyQt5, which its Python plug-ins need; pyzmq is the plug-in's own need;
# a virtual X server runs Krita without a display.
PACKAGES = ("krita", "python3-pyqt5", "python3-sip", "python3-zmq", "xvfb", "xauth")
RUN_TIMEOUT_S = 420
SYSTEM_PYTHON = "/usr/bin/python3"


def _inside_cv2(value: str) -> bool:
    """Whether an environment value points into the OpenCV wheel (cv2 sets
    QT_QPA_PLATFORM_PLUGIN_PATH, QT_QPA_FONTDIR and LD_LIBRARY_PATH when it is imported)."""
    return any(f"{os.sep}cv2{os.sep}" in part for part in value.split(os.pathsep))


class KritaUnavailable(RuntimeError):
    """Krita could not be installed (no root rights, no apt access)."""


def _ready() -> bool:
    if not (shutil.which("krita") and shutil.which("xvfb-run") and shutil.which("xauth")):
        return False
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import zmq, PyQt5"], capture_output=True)
    return probe.returncode == 0


def ensure_krita() -> None:
    """Install Debian's Krita (and pyzmq for its Python, and a virtual X server) if missing."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with FileLock(str(CACHE / "krita-apt.lock")):
        if _ready():
            return
        if os.geteuid() != 0:
            raise KritaUnavailable("installing Krita for the tests needs root rights: run "
                                   f"'apt-get install {' '.join(PACKAGES)}' first")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (["apt-get", "update"],
                        ["apt-get", "install", "-y", "--no-install-recommends", *PACKAGES]):
            done = subprocess.run(command, capture_output=True, text=True, env=env)
            if done.returncode != 0:
                raise KritaUnavailable(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")


class KritaHarness:
    """One scratch Krita profile under ``home`` with the plug-in (and the driver) installed."""

    def __init__(self, home: Path, endpoint: str) -> None:
        self.home = home
        self.endpoint = endpoint
        self.resource_dir = home / "data" / "krita"
        self.kritarc = home / "config" / "kritarc"
        self.plugin_dir = self.resource_dir / "pykrita" / "portrait_stylization"
        self._runs = 0

    def install(self, *extra: str) -> str:
        """Install the plug-in with the real installer, then the scenario driver."""
        command = [sys.executable, "-m", "krita_plugin.install",
                   "--krita-resource-dir", str(self.resource_dir), "--kritarc",
                   str(self.kritarc), "--krita-python", SYSTEM_PYTHON, "--python",
                   sys.executable, "--endpoint", self.endpoint,
                   "--server-arg=--allow-random-weights", *extra]
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"the installer failed:\n{done.stdout}\n{done.stderr}")
        pykrita = self.resource_dir / "pykrita"
        (pykrita / DRIVER_NAME).mkdir(exist_ok=True)
        shutil.copy2(DRIVER, pykrita / DRIVER_NAME / "__init__.py")
        (pykrita / f"{DRIVER_NAME}.desktop").write_text(
            "[Desktop Entry]\nType=Service\nServiceTypes=Krita/PythonPlugin\n"
            f"X-KDE-Library={DRIVER_NAME}\nX-Python-2-Compatible=false\n"
            "Name=Portrait Stylization test driver\nComment=runs one test scenario\n")
        text = self.kritarc.read_text()
        self.kritarc.write_text(text.replace("[python]\n",
                                             f"[python]\nenable_{DRIVER_NAME}=true\n", 1))
        return done.stdout

    def put(self, name: str, data: bytes) -> str:
        path = self.home / name
        path.write_bytes(data)
        return str(path)

    def environment(self, extra: dict[str, str]) -> dict[str, str]:
        """Krita's environment: this process's, less what would make Krita load another
        program's Python or Qt (importing OpenCV, as earlier tests do, points Qt's plug-in and
        library paths into the cv2 wheel, and Krita then aborts on its xcb plug-in)."""
        keep = {k: v for k, v in os.environ.items()
                if k not in ("PYTHONPATH", "PYTHONHOME") and not _inside_cv2(v)}
        return {**keep, "HOME": str(self.home), "XDG_DATA_HOME": str(self.home / "data"),
                "XDG_CONFIG_HOME": str(self.home / "config"),
                "XDG_CACHE_HOME": str(self.home / "cache"), "LANG": "C.UTF-8", **extra}

    def run(self, scenario: str, env: dict[str, str] | None = None) -> EditorRun:
        """Start Krita on ``scenario`` (code using the driver's helpers) and wait for it."""
        self._runs += 1
        out_dir = self.home / f"run-{self._runs}"
        out_dir.mkdir()
        code_path = self.put(f"scenario-{self._runs}.py", scenario.encode())
        environment = self.environment({"PS_TEST_OUT": str(out_dir),
                                        "PS_TEST_SCENARIO": code_path, **(env or {})})
        process = subprocess.Popen(["xvfb-run", "-a", "-s", "-screen 0 1280x1024x24", "krita",
                                    "--nosplash"], env=environment, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, start_new_session=True)
        return collect_run(process, out_dir, "Krita", RUN_TIMEOUT_S, output_tail=5000,
                           must_finish=True)
