"""``python -m backend ...`` runs the command line (how the GIMP plug-in starts the server)."""

import sys

from backend.cli.main import main

sys.exit(main())
