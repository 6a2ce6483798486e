"""The GIMP 3 plug-in: a thin client of the backend (pixels in, the ``shared`` client, pixels out).

Modules that run inside GIMP (copied by the installer into the plug-in's ``vendor`` folder):
``portrait_stylization`` (the plug-in script), ``dialog`` and ``canvas`` (libgimp), and the pure
``arguments``, ``pixels`` and ``settings``; the editor-neutral parts (``layers``, ``pixels``,
``session``, ``plugin_settings``) live in ``shared`` beside the client. The installer's own
modules: ``install``, ``locations`` and ``shortcuts`` (and ``shared.vendoring``).
"""
