"""The Portrait Stylization backend: engine, models, weights, server and command line."""

from shared import __version__

__all__ = ["__version__"]
