"""Print the generated tables of docs/protocol.md (error codes, options, server messages) from
the code.

    python docs/protocol_tables.py errors     # paste between the protocol-errors markers
    python docs/protocol_tables.py options    # paste between the protocol-options markers
    python docs/protocol_tables.py replies    # paste between the protocol-replies markers
    python docs/protocol_tables.py events     # paste between the protocol-events markers
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared.messages import ENDINGS, EVENTS, REPLIES, ServerMessage  # noqa: E402
from shared.options import OptionSpec, option_specs  # noqa: E402
from shared.protocol import ERROR_CODES  # noqa: E402


def error_table() -> str:
    rows = ["| code | when |", "|---|---|"]
    rows += [f"| `{code}` | {when} |" for code, when in ERROR_CODES.items()]
    return "\n".join(rows)


def _allowed(spec: OptionSpec) -> str:
    if spec.choices:
        return ", ".join(f'`"{choice}"`' for choice in spec.choices)
    if spec.minimum is None:
        return ""
    return f"{spec.minimum:g} … {spec.maximum:.10g}"


def options_table() -> str:
    rows = ["| key | JSON type | default | allowed | meaning |", "|---|---|---|---|---|"]
    for spec in option_specs():
        default = json.dumps(spec.type.to_json(spec.default))
        rows.append(f"| `{spec.name}` | {spec.type.json_type} | `{default}` | "
                    f"{_allowed(spec)} | {spec.help} |")
    return "\n".join(rows)


def _fields(cls: type[ServerMessage], job_id: bool) -> str:
    """The fields column: each field in backticks, with its note and its frame."""
    described = []
    for f in cls.body_fields():
        if f.name == "job_id" and not job_id:
            continue
        note = f" ({f.metadata['doc']})" if f.metadata.get("doc") else ""
        frame = " + 1 frame" if f.metadata.get("frame") else ""
        described.append(f"`{f.name}`{note}{frame}")
    return ", ".join(described) or "—"


def reply_table() -> str:
    rows = ["| kind | answers | fields |", "|---|---|---|"]
    rows += [f"| `{cls.kind}` | {cls.answers} | {_fields(cls, job_id=cls.when is None)} |"
             for cls in REPLIES]
    endings = ", ".join(f"`{cls.kind}`" for cls in ENDINGS)
    rows.append(f"| {endings} | `result` | as the events below |")
    return "\n".join(rows)


def event_table() -> str:
    rows = ["| kind | fields | when |", "|---|---|---|"]
    for cls in EVENTS:
        fields = _fields(cls, job_id=False)
        if "job_id" not in {f.name for f in cls.body_fields()}:
            fields += "; no `job_id`"
        rows.append(f"| `{cls.kind}` | {fields} | {cls.when} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print({"errors": error_table, "options": options_table, "replies": reply_table,
           "events": event_table}[sys.argv[1]]())
