"""The contract between the backend and its clients: options, protocol, framing, client.

Pure Python plus pyzmq, importable by GIMP's own interpreter.
"""

__version__ = "0.1.0"
