"""Checking an installed plug-in's ``vendor`` folder the way the editor's Python sees it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path


def import_alone(vendor: Path, modules: Sequence[str]) -> str:
    """Import ``modules`` in a fresh interpreter that sees only ``vendor`` and the standard
    library (``-I -S``: no site-packages, as inside GIMP or Krita); returns the file the
    first module came from. Raises CalledProcessError when an import fails."""
    code = (f"import sys; sys.path.insert(0, {str(vendor)!r}); import {', '.join(modules)}; "
            f"print({modules[0]}.__file__)")
    done = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True,
                          text=True, check=True)
    return done.stdout.strip()
