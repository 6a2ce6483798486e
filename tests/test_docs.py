"""The documentation states what the code does."""

import re
from pathlib import Path

from docs.options_table import options_table

ROOT = Path(__file__).resolve().parents[1]


def test_readme_options_table_matches_the_options_dataclass():
    readme = (ROOT / "README.md").read_text()
    table = re.search(r"<!-- options-table:start -->\n(.*?)\n<!-- options-table:end -->",
                      readme, re.S).group(1)
    assert table == options_table()


def test_a_switch_reads_on_or_off_and_a_no_flag_says_it_turns_it_off():
    # A new user read "--no-face-luma | true" as the --no- flag being on by default.
    rows = {row.split(" | ")[0]: row.split(" | ")[1] for row in options_table().splitlines()
            if row.startswith("| `")}
    assert rows["| `--no-face-luma`"] == "on (the flag turns it off)"
    assert rows["| `--face-reliability`"] == "off (the flag turns it on)"
    assert not any(value in ("true", "false") for value in rows.values())


def test_readme_first_screen_holds_exactly_the_two_commands():
    first_screen = (ROOT / "README.md").read_text().split("---", 1)[0]
    commands = [line.strip() for line in first_screen.splitlines() if line.startswith("    ")]
    assert commands == ["python3 install.py && .venv/bin/portrait-stylize demo",
                        "python3 install.py --dev && .venv/bin/python -m pytest"]


def test_ci_runs_the_readme_test_command():
    assert "python3 install.py --dev && .venv/bin/python -m pytest" in (
        ROOT / ".ci" / "run").read_text()
