"""The Krita 5 plug-in: a thin client of the backend (pixels in, the ``shared`` client, pixels out).

Modules that run inside Krita (copied by the installer into the plug-in's ``vendor`` folder):
``extension`` (the action and the docker's registration), ``docker``, ``option_form`` and
``number_fields`` (Qt widgets), ``stylization`` and ``runner`` (one job, off the main thread),
``canvas`` (Krita's documents and layers), ``messages``, and the pure ``pixels`` and
``settings``.
``portrait_stylization`` is the entry module Krita loads. The installer's own modules:
``install`` and ``locations``.
"""
