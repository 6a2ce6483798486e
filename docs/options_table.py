"""Print the options table of README.md from the Options dataclass (the one definition).

    python docs/options_table.py        # paste between the README's options markers
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared.options import OptionSpec, option_specs  # noqa: E402


def _range(spec: OptionSpec) -> str:
    if spec.choices:
        return " / ".join(spec.choices)
    if spec.minimum is None:
        return ""
    return f"{spec.minimum:g} – {spec.maximum:.10g}"


def _default(spec: OptionSpec) -> str:
    """The default as a user of the flag reads it: a switch is on or off, and a ``--no-…``
    flag switches off what is on by default (its ``true`` read as if the flag were on)."""
    if isinstance(spec.default, bool):
        state = "on" if spec.default else "off"
        flag_turns = "off" if spec.flag.startswith("no-") else "on"
        return f"{state} (the flag turns it {flag_turns})"
    return spec.type.format(spec.default) or "(none)"


def options_table() -> str:
    rows = ["| flag | default | range | what it does |", "|---|---|---|---|"]
    for spec in option_specs():
        rows.append(f"| `--{spec.flag}` | {_default(spec)} | {_range(spec)} | {spec.help} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(options_table())
