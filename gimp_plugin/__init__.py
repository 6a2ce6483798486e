"""The GIMP 3 plug-in: a thin client of the backend (pixels in, the ``shared`` client, pixels out).

Modules that run inside GIMP (copied by the installer into the plug-in's ``vendor`` folder):
``portrait_stylization`` (the plug-in script), ``dialog`` and ``canvas`` (libgimp), and the pure
``arguments``, ``layers``, ``pixels``, ``settings`` and ``session``. The installer's own modules:
``install``, ``locations``, ``vendoring`` and ``shortcuts``.
"""
