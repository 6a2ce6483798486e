"""docs/protocol.md states what the code does: generated tables, every operation, field and
message kind, and its raw pyzmq example runs as described."""

import re
from pathlib import Path

import pytest

from docs.protocol_tables import error_table, event_table, options_table, reply_table
from shared.messages import MESSAGE_TYPES
from shared.protocol import OPERATIONS

DOC = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text()


@pytest.mark.parametrize(("marker", "table"), [("protocol-errors", error_table),
                                                ("protocol-options", options_table),
                                                ("protocol-replies", reply_table),
                                                ("protocol-events", event_table)])
def test_generated_tables_match_the_code(marker, table):
    found = re.search(rf"<!-- {marker}:start -->\n(.*?)\n<!-- {marker}:end -->", DOC, re.S)
    assert found.group(1) == table()


@pytest.mark.parametrize("op", OPERATIONS)
def test_every_operation_and_its_fields_are_documented(op):
    section = DOC.split(f"### `{op}`", 1)[1].split("###", 1)[0]
    for field in OPERATIONS[op]:
        assert f"`{field}`" in section, f"{op}.{field}"


@pytest.mark.parametrize("kind", MESSAGE_TYPES)
def test_every_server_message_kind_is_documented(kind):
    assert f"| `{kind}`" in DOC or f"### `{kind}` reply" in DOC


def test_the_raw_pyzmq_example_runs_as_described(server):
    code = DOC.split("nothing but pyzmq", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(code.replace("tcp://127.0.0.1:5557", server.endpoint), namespace)  # noqa: S102
    namespace["socket"].close()
    assert namespace["message"]["kind"] == "done"
    assert namespace["message"]["image"] == {"width": 32, "height": 32, "channels": 3,
                                             "dtype": "u8"}
    assert len(namespace["frames"][0]) == 3072
