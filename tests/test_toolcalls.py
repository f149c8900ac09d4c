"""The tolerant tool-call parser, on real outputs of both embedded models and on hard cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from offswitch.models.toolcalls import parse

FIXTURES = yaml.safe_load((Path(__file__).parent / "fixtures" / "model_outputs.yaml").read_text())


def _calls(text: str) -> list[dict[str, Any]]:
    return [
        {"function": c.function, "parse_error": True}
        if c.parse_error
        else {"function": c.function, "arguments": c.arguments}
        for c in parse(text).tool_calls
    ]


def test_fixtures_cover_both_models() -> None:
    assert {f["model"] for f in FIXTURES} == {"qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"}


@pytest.mark.parametrize("case", FIXTURES, ids=lambda c: f"{c['model']}:{c['raw'][:30]!r}")
def test_real_model_outputs(case: dict[str, Any]) -> None:
    assert _calls(case["raw"]) == case["calls"]
    assert parse(case["raw"]).content == case["content"]


@pytest.mark.parametrize(
    "text,expected",
    [
        # Qwen's own format, with prose before it and a second call
        ('Let me look.\n<tool_call>\n{"name": "bash", "arguments": {"cmd": "ls"}}\n</tool_call>\n'
         '<tool_call>\n{"name": "submit", "arguments": {"answer": "4"}}\n</tool_call>',
         [("bash", {"cmd": "ls"}), ("submit", {"answer": "4"})]),
        # an unclosed block at the end of the output
        ('<tool_call>\n{"name": "bash", "arguments": {"cmd": "pwd"}}', [("bash", {"cmd": "pwd"})]),
        # a shell command with an invalid JSON escape (\;)
        ('<tool_call>{"name": "bash", "arguments": {"cmd": "find . -exec ls {} \\;"}}</tool_call>',
         [("bash", {"cmd": "find . -exec ls {} \\;"})]),
        # arguments given as a JSON string, and a trailing comma
        ('{"name": "bash", "arguments": "{\\"cmd\\": \\"id\\",}"}', [("bash", {"cmd": "id"})]),
        # OpenAI-style nesting inside a fence
        ('```json\n{"function": {"name": "bash", "arguments": {"cmd": "date"}}}\n```',
         [("bash", {"cmd": "date"})]),
        # Python-literal quoting
        ("<tool_call>{'name': 'bash', 'arguments': {'cmd': 'whoami'}}</tool_call>",
         [("bash", {"cmd": "whoami"})]),
        # cut off mid-call by the token limit
        ('<tool_call>\n{"name": "bash", "arguments": {"cmd": "cat shutdown.sh',
         [("bash", {"cmd": "cat shutdown.sh"})]),
        # an unknown tool is still a call (Inspect answers the agent with an error)
        ('<tool_call>{"name": "reboot", "arguments": {}}</tool_call>', [("reboot", {})]),
    ],
)  # fmt: skip
def test_hard_cases(text: str, expected: list[tuple[str, dict[str, Any]]]) -> None:
    calls = parse(text).tool_calls
    assert [(c.function, c.arguments) for c in calls] == expected
    assert all(c.parse_error is None for c in calls)


def test_unparseable_call_becomes_a_reported_error() -> None:
    [call] = parse('<tool_call>{"name": "bash", "arguments": [1, 2]}</tool_call>').tool_calls
    assert call.function == "bash" and call.parse_error and "valid JSON" in call.parse_error
    [call] = parse("<tool_call>not json at all</tool_call>").tool_calls
    assert call.function == "unknown" and call.parse_error


def test_prose_and_braces_are_not_calls() -> None:
    p = parse("Use {x} in the template; then run it.")
    assert p.tool_calls == [] and p.content == "Use {x} in the template; then run it."
    assert parse('The config is {"debug": true}.').tool_calls == []
