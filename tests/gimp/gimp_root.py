"""A real GIMP 3 for end-to-end tests: a Debian 13 root with GIMP 3.0 and its Python.

Debian 12 ships GIMP 2.10 without Python plug-ins, so the tests run GIMP 3 from a Debian 13
("trixie") root built with ``debootstrap`` (see /work/shared/GIMP.md). Building takes a minute or
two; the finished root is packed with zstd into a cache folder outside the repository and
unpacked from there next time. Needs root (debootstrap, chroot) and apt access to a Debian mirror.

The root deliberately lacks ``python3-zmq``: the plug-in installer must then vendor a pyzmq wheel
for GIMP's Python 3.13, which is the path a user on a system without pyzmq takes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from filelock import FileLock

CACHE = Path(os.environ.get("PORTRAIT_TEST_CACHE",
                            Path.home() / ".cache" / "portrait-stylization-tests"))
SUITE = "trixie"
# GIMP with its Python, plus an X server and a key sender for the dialog tests (test tools
# only; the plug-in needs neither).
PACKAGES = ("gimp", "python3-gi", "gir1.2-gimp-3.0", "xvfb", "xdotool")
# The cache key changes with the recipe, so an old root is never reused for a new one.
RECIPE = f"{SUITE}:{','.join(PACKAGES)}:v2"
KEY = hashlib.sha256(RECIPE.encode()).hexdigest()[:10]
GIMP_CONSOLE = "gimp-console-3.0"


class GimpRootError(RuntimeError):
    """The GIMP root could not be built (no root rights, no apt access, a failed command)."""


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        raise GimpRootError(f"{' '.join(command)} failed with exit code {done.returncode}:\n"
                            f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done


def _debian_mirror() -> str:
    """The host's Debian mirror (deb822 or one-line sources), so the build uses what apt uses."""
    sources = Path("/etc/apt/sources.list.d/debian.sources")
    if sources.exists():
        for line in sources.read_text().splitlines():
            if line.startswith("URIs:"):
                return line.split()[1]
    legacy = Path("/etc/apt/sources.list")
    if legacy.exists():
        for line in legacy.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "deb" and "security" not in parts[1]:
                return parts[1]
    return "http://deb.debian.org/debian"


def _ensure_host_tools() -> None:
    missing = [tool for tool in ("debootstrap", "zstd") if not shutil.which(tool)]
    if not missing:
        return
    _run(["apt-get", "update"])
    _run(["apt-get", "install", "-y", "--no-install-recommends", *missing],
         env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def _build(root: Path) -> None:
    if os.geteuid() != 0:
        raise GimpRootError("building the GIMP 3 test root needs root rights (debootstrap, "
                            "chroot); run the tests as root or provide the cached root tarball")
    _ensure_host_tools()
    if root.exists():
        shutil.rmtree(root)
    _run(["debootstrap", "--variant=minbase", SUITE, str(root), _debian_mirror()])
    shutil.copy("/etc/resolv.conf", root / "etc" / "resolv.conf")
    _run(["chroot", str(root), "apt-get", "update"])
    _run(["chroot", str(root), "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install",
          "-y", "--no-install-recommends", *PACKAGES])
    _run(["chroot", str(root), "apt-get", "clean"])
    (root / "host").mkdir(exist_ok=True)


def _pack(root: Path, tarball: Path) -> None:
    partial = tarball.with_suffix(".partial")
    _run(["tar", "-C", str(root), "-I", "zstd -3 -T0", "-cf", str(partial), "."])
    partial.replace(tarball)


def _unpack(tarball: Path, root: Path) -> None:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    _run(["tar", "-C", str(root), "-I", "zstd -T0", "-xf", str(tarball)])


def gimp_root() -> Path:
    """The path of a ready GIMP 3 root: reused, unpacked from the cached tarball, or built.

    A marker file is written last, so an interrupted build or unpack is redone, not trusted.
    """
    CACHE.mkdir(parents=True, exist_ok=True)
    root = CACHE / f"gimp3-root-{KEY}"
    tarball = CACHE / f"gimp3-root-{KEY}.tar.zst"
    marker = root / ".portrait-stylization-complete"
    with FileLock(str(CACHE / f"gimp3-root-{KEY}.lock")):
        if marker.exists():
            return root
        if tarball.exists():
            _ensure_host_tools()
            _unpack(tarball, root)
        else:
            _build(root)
            _pack(root, tarball)
        marker.write_text(RECIPE + "\n")
    return root
