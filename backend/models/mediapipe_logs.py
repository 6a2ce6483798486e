"""Keep MediaPipe's C++ libraries from printing their routine notices on stderr.

Every process that runs a MediaPipe graph prints, on the first frame, TFLite's ``INFO: Created
TensorFlow Lite XNNPACK delegate for CPU.``, absl's ``WARNING: All log messages before
absl::InitializeLog() is called are written to STDERR`` and a ``W... Feedback manager requires
a model with a single signature inference`` warning per graph. The mediapipe wheel (0.10.x)
reads no environment variable for these (``GLOG_minloglevel`` and ``TF_CPP_MIN_LOG_LEVEL`` change
nothing: its logging is absl's and TFLite's minimal logger) and exposes no call to set them, so
:func:`quiet_mediapipe` sets the two thresholds themselves, found by name in the extension's
symbol table: absl's minimum level to ERROR and TFLite's to WARNING. Errors still print.

Only on Linux, only when both variables are found at their documented defaults (absl INFO = 0,
TFLite INFO = 1); anywhere else it changes nothing and the notices print as before.
"""

from __future__ import annotations

import ctypes
import functools
import importlib.util
import mmap
import os
import struct
from pathlib import Path

import numpy as np

ABSL_MIN_LOG_LEVEL = "_ZN4absl12_GLOBAL__N_113min_log_levelE.0"
TFLITE_MIN_SEVERITY = "_ZN6tflite16logging_internal13MinimalLogger21minimum_log_severity_E"
# (symbol, default, quiet): absl LogSeverity INFO 0 -> ERROR 2; TFLite INFO 1 -> WARNING 2.
THRESHOLDS = ((ABSL_MIN_LOG_LEVEL, 0, 2), (TFLITE_MIN_SEVERITY, 1, 2))
_ELF64_SYMBOL = np.dtype([("name", "<u4"), ("info", "u1"), ("other", "u1"), ("shndx", "<u2"),
                          ("value", "<u8"), ("size", "<u8")])
_SHT_SYMTAB = 2


def _symbol_values(path: Path, names: list[str]) -> dict[str, int]:
    """The ``st_value`` of each of ``names`` found in the ``.symtab`` of the ELF64
    little-endian shared object at ``path`` (offsets from its load address)."""
    with open(path, "rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as elf:
        if elf[:6] != b"\x7fELF\x02\x01":
            return {}
        section_offset, = struct.unpack_from("<Q", elf, 0x28)
        entry_size, count = struct.unpack_from("<HH", elf, 0x3A)
        # (type, offset, size, link) of each section header
        sections = [struct.unpack_from("<4xI16xQQI", elf, section_offset + i * entry_size)
                    for i in range(count)]
        symtab = next((s for s in sections if s[0] == _SHT_SYMTAB), None)
        if symtab is None:
            return {}
        _, strings_start, strings_size, _ = sections[symtab[3]]
        symbols = np.frombuffer(elf, _ELF64_SYMBOL, symtab[2] // _ELF64_SYMBOL.itemsize,
                                symtab[1])
        found = {}
        for name in names:
            at = elf.find(b"\0" + name.encode() + b"\0", strings_start,
                          strings_start + strings_size)
            if at < 0:
                continue
            hits = symbols["value"][symbols["name"] == at + 1 - strings_start]
            if len(hits) == 1:
                found[name] = int(hits[0])
        del symbols  # the mmap cannot close while a view of it lives
    return found


def _load_address(path: Path) -> int | None:
    """Where the shared object at ``path`` is mapped in this process (its offset-0 mapping)."""
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            if len(fields) >= 6 and fields[5] == str(path) and int(fields[2], 16) == 0:
                return int(fields[0].split("-")[0], 16)
    return None


@functools.cache
def quiet_mediapipe() -> bool:
    """Raise the C++ log thresholds of mediapipe's extension (see the module docstring);
    True when done. Call before the first graph runs; later calls do nothing."""
    spec = importlib.util.find_spec("mediapipe.python._framework_bindings")
    if os.name != "posix" or not Path("/proc/self/maps").exists() or spec is None:
        return False
    import mediapipe.python._framework_bindings  # noqa: F401 - maps the extension

    path = Path(spec.origin).resolve()
    values = _symbol_values(path, [name for name, _, _ in THRESHOLDS])
    base = _load_address(path)
    if base is None or len(values) != len(THRESHOLDS):
        return False
    levels = [ctypes.c_int.from_address(base + values[name]) for name, _, _ in THRESHOLDS]
    if [level.value for level in levels] != [default for _, default, _ in THRESHOLDS]:
        return False  # another build: leave it alone
    for level, (_, _, quiet) in zip(levels, THRESHOLDS, strict=True):
        level.value = quiet
    return True
