"""What the Krita end-to-end tests share: the tiny engine settings the GIMP tests use."""

from __future__ import annotations

from tests.gimp.scenarios import TINY

# The GIMP tests' tiny job (one 64-px scale, a few iterations), as engine options only.
TINY_OPTIONS = {name: value for name, value in TINY.items() if name != "preview_interval"}
