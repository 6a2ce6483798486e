"""Running scenarios in a real headless GIMP 3 with the plug-in installed.

GIMP runs chrooted into the Debian 13 root of :mod:`tests.gimp.gimp_root`, with ``HOME`` a
scratch folder inside it. The plug-in is installed there by ``python -m gimp_plugin.install``
like a user would install it. Loopback is shared, so the plug-in reaches a backend on the host.

To start a backend itself the plug-in must run the host's interpreter, which the chroot cannot
see; each GIMP therefore runs in a private mount namespace where the host's root is bind-mounted
at ``/host`` inside the chroot, and the installer is told to start the backend through
``chroot /host`` (the same launcher mechanism the Flatpak uses with ``flatpak-spawn --host``).
The mounts vanish with the namespace; the host's view of the root never changes.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

from tests.editor_backend import EditorRun, collect_run
from tests.gimp.gimp_root import GIMP_CONSOLE

REPO = Path(__file__).resolve().parents[2]
PRELUDE = Path(__file__).with_name("batch_prelude.py")
BATCH_TIMEOUT_S = 300


class GimpHarness:
    """One scratch GIMP profile inside ``root``, with the plug-in installed in it."""

    def __init__(self, root: Path, endpoint: str) -> None:
        self.root = root
        self.endpoint = endpoint
        self.home_in_root = f"/tmp/portrait-e2e-{uuid.uuid4().hex[:8]}"
        self.home = root / self.home_in_root.lstrip("/")
        self.plugins_dir = self.home / ".config" / "GIMP" / "3.0" / "plug-ins"
        self.plugin_dir = self.plugins_dir / "portrait-stylization"
        self._runs = 0

    def inside(self, host_path: Path) -> str:
        """The path GIMP sees for a file under the root."""
        return "/" + str(Path(host_path).relative_to(self.root))

    def install(self, *extra: str) -> str:
        """Install the plug-in with the real installer; returns its output."""
        self.home.mkdir(parents=True)
        host_prefix = f"chroot /host env HOME={shlex.quote(str(Path.home()))}"
        command = [sys.executable, "-m", "gimp_plugin.install",
                   "--gimp-plugins-dir", str(self.plugins_dir),
                   "--python", sys.executable, "--endpoint", self.endpoint,
                   "--gimp-python", f"chroot {shlex.quote(str(self.root))} /usr/bin/python3",
                   "--backend-launch-prefix", host_prefix,
                   "--server-arg=--allow-random-weights", *extra]
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"the installer failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def put(self, name: str, data: bytes) -> str:
        """Write a file into the profile; returns its path as GIMP sees it."""
        path = self.home / name
        path.write_bytes(data)
        return self.inside(path)

    def _command(self, code_path: str, env: dict[str, str]) -> list[str]:
        settings = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        root = shlex.quote(str(self.root))
        gimp = (f"exec chroot {root} env HOME={self.home_in_root} LANG=C.UTF-8 {settings} "
                f"{GIMP_CONSOLE} -i --batch-interpreter=python-fu-eval "
                f"-b {shlex.quote(f'exec(open({code_path!r}).read())')} --quit")
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                f"mount --rbind / {root}/host && {gimp}"]

    def start(self, scenario: str, env: dict[str, str] | None = None
              ) -> tuple[subprocess.Popen, Path]:
        """Start GIMP on ``scenario`` (code using the prelude's helpers); returns the process and
        the host folder where the report will appear."""
        self._runs += 1
        out_dir = self.home / f"run-{self._runs}"
        out_dir.mkdir()
        code = PRELUDE.read_text() + "\n" + scenario
        code_path = self.put(f"scenario-{self._runs}.py", code.encode())
        environment = {"PS_TEST_OUT": self.inside(out_dir), **(env or {})}
        process = subprocess.Popen(self._command(code_path, environment),
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   errors="replace",  # GIMP's warnings may quote raw bytes
                                   start_new_session=True)
        return process, out_dir

    def finish(self, process: subprocess.Popen, out_dir: Path) -> EditorRun:
        """Wait for GIMP to exit and collect what the scenario recorded."""
        return collect_run(process, out_dir, "GIMP", BATCH_TIMEOUT_S)

    def run(self, scenario: str, env: dict[str, str] | None = None) -> EditorRun:
        return self.finish(*self.start(scenario, env))

    def remove(self) -> None:
        shutil.rmtree(self.home, ignore_errors=True)


def plugin_processes(gimp: subprocess.Popen) -> list[int]:
    """Pids of the plug-in's processes among ``gimp``'s descendants (GIMP starts one process
    per plug-in call; the batch's own interpreter is ``python-eval``)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, pending = [], [gimp.pid]
    while pending:
        pid = pending.pop()
        for child in children.get(pid, []):
            pending.append(child)
            try:
                cmdline = (Path("/proc") / str(child) / "cmdline").read_bytes()
            except OSError:
                continue
            if b"portrait-stylization.py" in cmdline:
                found.append(child)
    return found


def keep_screenshots(run: EditorRun, folder: Path) -> None:
    """Copy the PNG screenshots a scenario wrote into ``folder`` (under pytest's basetemp), so
    they stay to be looked at after the GIMP profile is removed."""
    for picture in run.out_dir.glob("*.png"):
        shutil.copy(picture, folder)


X_RACE_RETRIES = 20
SCREEN = (1366, 768)  # the most common laptop screen; the dialog must fit it


class XRaceError(RuntimeError):
    """xdotool met a window that was destroyed while it looked (GTK makes short-lived ones)."""


class VirtualDisplay:
    """An X server (Xvfb) inside the root, so the plug-in's dialog can open, and key presses
    sent to it (xdotool) as a user would type them."""

    def __init__(self, root: Path, size: tuple[int, int] = SCREEN) -> None:
        self.root, self.size = root, size
        # -displayfd: Xvfb picks a free display and writes its number once it accepts clients.
        # -noreset: an X server resets when its last client leaves (an xdotool call, a closed
        # dialog), and a connection made during the reset fails ("Can't open display").
        self.process = subprocess.Popen(
            ["chroot", str(root), "Xvfb", "-displayfd", "1", "-noreset", "-screen", "0",
             f"{size[0]}x{size[1]}x24", "-nolisten", "tcp"], stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True)
        number = self.process.stdout.readline().strip()
        if not number.isdigit():
            self.close()
            raise RuntimeError("Xvfb did not start in the GIMP root")
        self.display = f":{number}"

    def _xdotool(self, *arguments: str, timeout: float = 120) -> str:
        done = subprocess.run(["chroot", str(self.root), "env", f"DISPLAY={self.display}",
                               "xdotool", *arguments], capture_output=True, text=True,
                              timeout=timeout)
        if "BadWindow" in done.stderr:
            raise XRaceError(done.stderr)
        if done.returncode != 0:
            raise RuntimeError(f"xdotool {' '.join(arguments)} failed: {done.stderr}")
        return done.stdout

    def press(self, window_title: str, key: str) -> None:
        """Wait for a visible window whose title contains ``window_title``, then press ``key``
        in it."""
        for _ in range(X_RACE_RETRIES):
            try:
                window = self._xdotool("search", "--sync", "--onlyvisible", "--name",
                                       window_title).split()[0]
                # Only the key press: GTK acts on it, and a release sent after the dialog has
                # closed would fail on the vanished window.
                self._xdotool("windowfocus", "--sync", window, "keydown", "--window", window,
                              key)
                return
            except XRaceError:
                continue  # a window vanished while xdotool looked at it; look again
        raise RuntimeError(f"could not press {key} in a window named {window_title!r}")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
