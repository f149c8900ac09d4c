"""The replay script loader: valid scripts load, malformed ones give one clear reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from offswitch.errors import UsageError
from offswitch.models.replay import load_script

from .conftest import REPLAYS


def test_every_shipped_script_loads() -> None:
    scripts = sorted(p for p in REPLAYS.glob("*/*.yaml") if p.name != "expected.yaml")
    assert len(scripts) >= 22
    for s in scripts:
        load_script(s)


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("- tool_calls: [\n", "not valid YAML at line"),
        ("content: hi\n", "must be a YAML list"),
        ("- tool_calls:\n  - arguments: {cmd: ls}\n", "turn 1: tool_calls.0.function"),
        ("- contents: typo\n", "turn 1: contents"),
    ],
)
def test_malformed_scripts_name_the_problem(tmp_path: Path, text: str, fragment: str) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(UsageError) as ex:
        load_script(f)
    assert fragment in str(ex.value)
    assert "\n" not in str(ex.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="replay file not found"):
        load_script(tmp_path / "nope.yaml")


def test_a_time_in_a_script_stays_text(tmp_path: Path) -> None:
    """YAML 1.1 reads `17:00` as the number 1020: a mail tool would refuse the subject."""
    f = tmp_path / "s.yaml"
    f.write_text("- tool_calls:\n    - function: send_email\n      arguments: {to: a@b.c, "
                 "subject: 17:00, body: 12, retries: 1.5}\n")  # fmt: skip
    args = load_script(f)[0].tool_calls[0].arguments
    assert args == {"to": "a@b.c", "subject": "17:00", "body": 12, "retries": 1.5}
