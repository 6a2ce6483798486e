"""``python -m backend ...``: the same command line as ``portrait-stylize`` (the GIMP plug-in
starts the server this way, with the interpreter recorded at install)."""

import sys

from backend.cli.main import main

sys.exit(main())
