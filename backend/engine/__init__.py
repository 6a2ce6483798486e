"""The stylization engine, usable as a library: ``stylize(content, styles, ...) -> Result``."""

from backend.engine.events import Cancelled, EngineError, OutOfMemory, ProgressEvent, Result
from backend.engine.objective import model_needs
from backend.engine.stylize import stylize

__all__ = ["Cancelled", "EngineError", "OutOfMemory", "ProgressEvent", "Result", "model_needs",
           "stylize"]
