"""Making pyzmq importable by the Python that an editor (GIMP, Krita) runs plug-ins with.

The editor's Python is not the backend's: on Linux it is usually the system ``python3``; on
Windows, macOS, in GIMP's Flatpak and Krita's AppImage a Python bundled with the editor. The
installers of both plug-ins ask that interpreter (by running it)
for its version and platform and whether it can already import ``zmq``; if not, it downloads
the matching binary wheel with pip and unpacks it into the plug-in's own ``vendor`` folder.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PYZMQ_REQUIREMENT = "pyzmq>=26,<28"
OLDEST_MANYLINUX_MINOR = 17  # manylinux2014 = glibc 2.17, the oldest pyzmq 26+ builds for
OLDEST_MACOS = (10, 9)
_PROBE = """
import json, platform, sys, sysconfig
try:
    import zmq
    zmq_version = zmq.pyzmq_version()
except Exception:
    zmq_version = None
print(json.dumps({"version": "%d.%d" % sys.version_info[:2],
                  "implementation": sys.implementation.name,
                  "platform": sysconfig.get_platform(), "machine": platform.machine(),
                  "libc": list(platform.libc_ver()), "zmq": zmq_version}))
"""


class VendoringError(RuntimeError):
    """The editor's Python could not be examined or given pyzmq; the message says what to do."""


@dataclass(frozen=True)
class EditorPython:
    """What the installer learnt from the editor's Python."""

    command: tuple[str, ...]
    version: str  # "3.13"
    implementation: str  # "cpython"
    platform: str  # sysconfig.get_platform(): "linux-x86_64", "win-amd64", "macosx-11.0-arm64"
    machine: str
    libc: tuple[str, str]  # ("glibc", "2.41") on glibc Linux
    zmq: str | None  # pyzmq version it imports, None when it cannot


def probe(command: Sequence[str], editor: str = "GIMP",
          option: str = "--gimp-python") -> EditorPython:
    """Run ``command -c PROBE`` (``command`` runs ``editor``'s Python) and read its answers;
    errors name the installer ``option`` that passes the right interpreter."""
    try:
        done = subprocess.run([*command, "-c", _PROBE], capture_output=True, text=True,
                              timeout=120)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise VendoringError(f"cannot run {editor}'s Python ({' '.join(command)}): {err}; pass "
                             f"the interpreter {editor} uses with {option}") from None
    if done.returncode != 0:
        raise VendoringError(f"{editor}'s Python ({' '.join(command)}) failed: "
                             f"{done.stderr.strip()[-500:]}; pass the right one with {option}")
    try:
        answer = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise VendoringError(f"{editor}'s Python ({' '.join(command)}) gave no readable answer: "
                             f"{done.stdout[-300:]!r}") from None
    return EditorPython(tuple(command), answer["version"], answer["implementation"],
                      answer["platform"], answer["machine"], tuple(answer["libc"]),
                      answer["zmq"])


def _manylinux_tags(machine: str, glibc: str) -> list[str]:
    major, minor = (int(part) for part in glibc.split(".")[:2])
    if major != 2 or minor < OLDEST_MANYLINUX_MINOR:
        raise VendoringError(f"glibc {glibc} is older than any pyzmq wheel supports (2.17)")
    tags = [f"manylinux_2_{m}_{machine}" for m in range(minor, OLDEST_MANYLINUX_MINOR - 1, -1)]
    return [*tags, f"manylinux2014_{machine}"]


def _macos_tags(platform: str) -> list[str]:
    _, version, arch = platform.split("-", 2)
    major, minor = (int(part) for part in (version.split(".") + ["0"])[:2])
    archs = [arch, "universal2"] if arch in ("arm64", "x86_64") else [arch]
    versions = [(m, 0) for m in range(major, 10, -1)] if major >= 11 else []
    versions += [(10, m) for m in range(minor if major == 10 else 15, OLDEST_MACOS[1] - 1, -1)]
    return [f"macosx_{a}_{b}_{name}" for a, b in versions for name in archs]


def wheel_platforms(host: EditorPython) -> list[str]:
    """The wheel platform tags the editor's Python accepts, most specific first."""
    if host.implementation != "cpython":
        raise VendoringError(f"the editor's Python is {host.implementation}; pyzmq wheels "
                             "exist for CPython only")
    if host.platform.startswith("linux-"):
        if host.libc[0] != "glibc":
            raise VendoringError("the editor's Python uses "
                                 f"{host.libc[0] or 'an unknown C library'}; install pyzmq for it "
                                 "with your system's package manager")
        return _manylinux_tags(host.machine, host.libc[1])
    if host.platform.startswith("macosx-"):
        return _macos_tags(host.platform)
    if host.platform in ("win-amd64", "win-arm64", "win32"):
        return [host.platform.replace("-", "_")]
    raise VendoringError(f"the editor's Python reports platform {host.platform!r}, for "
                         "which PyPI has no pyzmq wheel (an MSYS2 build on Windows needs MSYS2's "
                         "python-pyzmq package)")


def download_command(host: EditorPython, destination: Path, pip_python: str) -> list[str]:
    """The command that has ``pip_python``'s pip fetch the pyzmq wheel for ``host`` into
    ``destination``."""
    command = [pip_python, "-m", "pip", "download", "--only-binary=:all:", "--no-deps",
               "--python-version", host.version, "--implementation", "cp",
               "--dest", str(destination)]
    for tag in wheel_platforms(host):
        command += ["--platform", tag]
    return [*command, PYZMQ_REQUIREMENT]


def vendor_pyzmq(host: EditorPython, vendor_dir: Path, pip_python: str = sys.executable) -> str:
    """Download (with ``pip_python``'s pip; the backend's venv has one, a system Python may
    not) and unpack the pyzmq wheel for ``host`` into ``vendor_dir``; returns the wheel's file
    name."""
    with tempfile.TemporaryDirectory() as scratch:
        done = subprocess.run(download_command(host, Path(scratch), pip_python),
                              capture_output=True, text=True)
        wheels = sorted(Path(scratch).glob("pyzmq-*.whl"))
        if done.returncode != 0 or not wheels:
            raise VendoringError(f"pip found no pyzmq wheel for Python {host.version} on "
                                 f"{host.platform}: {done.stderr.strip()[-500:]}")
        vendor_dir.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheels[0]) as wheel:
            wheel.extractall(vendor_dir)
            executable = [info.filename for info in wheel.infolist()
                          if (info.external_attr >> 16) & 0o111]
        for name in executable:  # zipfile drops permission bits; shared libraries need them
            (vendor_dir / name).chmod(0o755)
        return wheels[0].name
