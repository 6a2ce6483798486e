#!/usr/bin/env python3
"""Set up Portrait Stylization: a virtual environment with pinned packages, the project, the
model weights, the GIMP 3 plug-in and (when Krita is present) the Krita plug-in. Safe to run
again; prints what it did and what is missing.

    python3 install.py            # everything a user needs
    python3 install.py --dev      # plus the test tools
    python3 install.py --uninstall
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent

# The plug-in installer and the protocol constants are pure standard library, so they run
# before the venv exists.
sys.path.insert(0, str(ROOT))
from gimp_plugin.install import add_arguments  # noqa: E402
from krita_plugin.install import add_arguments as add_krita_arguments  # noqa: E402
from shared.plugin_installer import add_common_arguments  # noqa: E402
from shared.protocol import DEFAULT_ENDPOINT  # noqa: E402


def pinned(*names: str, pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """The ``name==version`` requirements of ``names`` as pyproject.toml pins them (the one place
    versions are stated). Raises LookupError for a name it does not pin exactly."""
    text = pyproject.read_text(encoding="utf-8")
    found = []
    for name in names:
        match = re.search(rf'"({re.escape(name)}==[^";\s]+)"', text)
        if match is None:
            raise LookupError(f"{pyproject} pins no exact version of {name}")
        found.append(match.group(1))
    return found


# Installed first and on their own: on the reference machine pip takes this pair from local
# disk; any other torch version starts a multi-GB download.
TORCH = pinned("torch", "torchvision")
# mediapipe leaves jax unpinned; without this pip backtracks through a dozen jaxlib releases.
RESOLVER_HINTS = ["jax==0.7.1", "jaxlib==0.7.1", *pinned("opencv-contrib-python")]


def venv_python(venv_dir: Path) -> Path:
    return venv_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


def pip(python: Path, *args: str) -> None:
    subprocess.run([str(python), "-m", "pip", "install", "--disable-pip-version-check",
                    "--quiet", *args], check=True)


def ensure_venv(venv_dir: Path) -> Path:
    python = venv_python(venv_dir)
    if python.exists():
        step(f"virtual environment {venv_dir} exists")
    else:
        step(f"creating virtual environment {venv_dir}")
        venv.EnvBuilder(with_pip=True).create(venv_dir)
    return python


def install_packages(python: Path, dev: bool) -> None:
    step("installing torch and torchvision (pinned)")
    pip(python, *TORCH)
    extra = "[dev]" if dev else ""
    step(f"installing the project{' with test tools' if dev else ''} (editable)")
    pip(python, *RESOLVER_HINTS, "-e", f"{ROOT}{extra}")


def fetch_weights(python: Path) -> list[str]:
    """Try to download the checkpoints; return the names still missing."""
    step("fetching model weights (VGG-19, FaceNet VGGFace2)")
    subprocess.run([str(python), "-m", "backend", "weights", "fetch"], cwd=ROOT)
    missing = subprocess.run([str(python), "-c",
                              "from backend.weights.registry import REGISTRY, cached_path\n"
                              "print(' '.join(n for n in REGISTRY if not cached_path(n)"
                              ".is_file()))"],
                             capture_output=True, text=True, check=True).stdout.split()
    return missing


def install_gimp_plugin(python: Path, args: argparse.Namespace) -> list[str]:
    """Install the plug-in; a GIMP-side problem is reported, not fatal to the backend set-up."""
    from gimp_plugin.install import run_from_args
    from gimp_plugin.locations import LocationError
    from shared.plugin_installer import InstallError

    step("installing the GIMP 3 plug-in")
    try:
        return run_from_args(args, str(python), args.endpoint)
    except (InstallError, LocationError) as err:
        return [f"GIMP plug-in NOT installed: {err}"]


def install_krita_plugin(python: Path, args: argparse.Namespace) -> list[str]:
    """Install the Krita plug-in when Krita is present (or its folder is given)."""
    from krita_plugin.install import krita_present, run_from_args
    from shared.plugin_installer import InstallError

    if not krita_present(args):
        return ["Krita plug-in not installed: no Krita found (pass --krita-resource-dir to "
                "install it anyway)"]
    step("installing the Krita plug-in")
    try:
        return run_from_args(args, str(python), args.endpoint)
    except InstallError as err:
        return [f"Krita plug-in NOT installed: {err}"]


def uninstall(args: argparse.Namespace) -> int:
    from gimp_plugin.install import run_from_args
    from krita_plugin.install import run_from_args as run_krita_from_args

    for line in [*run_from_args(args, "", args.endpoint),
                 *run_krita_from_args(args, "", args.endpoint)]:
        print(line)
    print(f"The virtual environment {args.venv} and downloaded weights are left in place; "
          "delete them by hand if you no longer need them.")
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", action="store_true", help="also install the test tools")
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv",
                        help="where to create the virtual environment (default: .venv)")
    parser.add_argument("--skip-weights", action="store_true",
                        help="do not try to download the model weights")
    parser.add_argument("--no-gimp", action="store_true", help="do not install the GIMP plug-in")
    parser.add_argument("--no-krita", action="store_true",
                        help="do not install the Krita plug-in")
    parser.add_argument("--endpoint", default=DEFAULT_ENDPOINT,
                        help=f"backend endpoint the plug-in uses (default: {DEFAULT_ENDPOINT})")
    add_common_arguments(parser)
    add_arguments(parser)
    add_krita_arguments(parser)
    return parser.parse_args()


def main() -> int:
    if sys.version_info < (3, 10):  # noqa: UP036 (install.py runs under any python3)
        print("Portrait Stylization needs Python 3.10 or newer.", file=sys.stderr)
        return 2
    args = parse_args()
    if args.uninstall:
        return uninstall(args)
    python = ensure_venv(args.venv)
    try:
        install_packages(python, args.dev)
    except subprocess.CalledProcessError as err:
        print(f"\npip failed ({err}); fix the problem above and run install.py again: it "
              "picks up where it stopped.", file=sys.stderr)
        return 1
    record = subprocess.run([str(python), "-c", "import sys\n"
                             "from shared.backend_launcher import record_backend\n"
                             "print(record_backend(sys.argv[1], project_dir=sys.argv[2]))",
                             str(python), str(ROOT)], capture_output=True, text=True, check=True)
    step(f"recorded the backend interpreter in {record.stdout.strip()}")
    missing = [] if args.skip_weights else fetch_weights(python)
    plugin_lines = [] if args.no_gimp else install_gimp_plugin(python, args)
    plugin_lines += [] if args.no_krita else install_krita_plugin(python, args)
    print("\nSummary")
    print(f"  environment: {args.venv} (portrait-stylize is {args.venv / 'bin'}/"
          "portrait-stylize)")
    for line in plugin_lines:
        print(f"  {line}")
    if missing:
        print(f"  MISSING weights: {', '.join(missing)}. Stylizing needs them: run "
              f"'{args.venv}/bin/portrait-stylize weights fetch' when online, or pass files you "
              "have with --vgg-weights / --facenet-weights ('portrait-stylize weights list' "
              "shows where each is looked for and its source URL).")
    else:
        print("  weights: " + ("not checked (--skip-weights)" if args.skip_weights
                                else "all present and verified"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
