"""Portrait Stylization for Krita: neural style transfer that keeps faces recognisable.

Installed by ``install.py`` as ``pykrita/portrait_stylization/__init__.py`` with the
``portrait_stylization.desktop`` file beside its folder; the plug-in's modules, the ``shared``
client and (when Krita's Python lacks it) pyzmq sit in the ``vendor`` folder next to this file.
The plug-in is thin: it reads layers, asks the backend (started on demand) and inserts the
result; no torch or numpy is imported here.
"""

import sys
from pathlib import Path

PLUGIN_FOLDER = Path(__file__).resolve().parent
sys.path.insert(0, str(PLUGIN_FOLDER / "vendor"))

from krita_plugin.extension import register  # noqa: E402

register(PLUGIN_FOLDER)
