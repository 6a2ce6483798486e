"""Writing benchmark results: JSON under bench/results/ and a section in bench/RESULTS.md."""

from __future__ import annotations

import json
import platform
import re
import time
from pathlib import Path

import torch

BENCH = Path(__file__).resolve().parent
RESULTS_MD = BENCH / "RESULTS.md"


def machine() -> str:
    """A one-line description of where the numbers were taken."""
    if torch.cuda.is_available():
        device = torch.cuda.get_device_name(0)
    else:
        device = f"CPU ({platform.processor() or platform.machine()}, " \
                 f"{torch.get_num_threads()} threads)"
    return f"{device}, torch {torch.__version__}, {time.strftime('%Y-%m-%d')}"


def write_json(name: str, payload: dict) -> Path:
    path = BENCH / "results" / f"{name}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps({"machine": machine(), **payload}, indent=2) + "\n")
    return path


def append_section(title: str, settings: str, table: list[str]) -> None:
    """Replace (or add) the section ``## title`` of RESULTS.md."""
    body = f"## {title}\n\n{machine()}. {settings}.\n\n" + "\n".join(table) + "\n"
    text = RESULTS_MD.read_text() if RESULTS_MD.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(body + "\n", text) if pattern.search(text) else \
        text.rstrip("\n") + "\n\n" + body
    RESULTS_MD.write_text(text)
    print("\n".join(table))
