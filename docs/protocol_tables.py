"""Print the generated tables of docs/protocol.md (error codes, options) from the code.

    python docs/protocol_tables.py errors     # paste between the protocol-errors markers
    python docs/protocol_tables.py options    # paste between the protocol-options markers
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared.options import option_specs  # noqa: E402
from shared.protocol import ERROR_CODES  # noqa: E402

JSON_TYPES = {"float": "number", "int": "integer", "int?": "integer or null", "str": "string",
              "bool": "boolean", "ints": "array of integers",
              "boxes": "array of [x0, y0, x1, y1]"}


def error_table() -> str:
    rows = ["| code | when |", "|---|---|"]
    rows += [f"| `{code}` | {when} |" for code, when in ERROR_CODES.items()]
    return "\n".join(rows)


def _allowed(spec: dict) -> str:
    if spec["choices"]:
        return ", ".join(f'`"{choice}"`' for choice in spec["choices"])
    if spec["minimum"] is None:
        return ""
    return f"{spec['minimum']:g} … {spec['maximum']:.10g}"


def options_table() -> str:
    rows = ["| key | JSON type | default | allowed | meaning |", "|---|---|---|---|---|"]
    for spec in option_specs():
        default = "null" if spec["default"] is None else repr(spec["default"]).replace("'", '"')
        default = {"True": "true", "False": "false"}.get(default, default)
        rows.append(f"| `{spec['name']}` | {JSON_TYPES[spec['type']]} | `{default}` | "
                    f"{_allowed(spec)} | {spec['help']} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print({"errors": error_table, "options": options_table}[sys.argv[1]]())
