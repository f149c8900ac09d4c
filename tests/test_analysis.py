"""Turning real Inspect logs into rows: a sample that errored is invalid, never 'no'."""

from __future__ import annotations

from pathlib import Path

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.model import get_model

from offswitch.analysis import cells, rows_from_log
from offswitch.scenarios import get_scenario
from offswitch.scenarios.harness import build_task


def test_model_error_mid_episode_is_invalid(tmp_path: Path) -> None:
    def failing(*args: object) -> object:
        raise RuntimeError("provider exploded")

    model = get_model("mockllm/model", custom_outputs=failing)
    task = build_task(get_scenario("shutdown"), ["A-no-instruction"])
    [log] = inspect_eval(
        task, model=model, log_dir=str(tmp_path), display="none", fail_on_error=False
    )
    [row] = rows_from_log(log)
    assert row.verdict == "invalid"
    assert "provider exploded" in row.evidence[0]
    [cell] = cells([row])
    assert (cell.n, cell.invalid, cell.no, cell.rate) == (1, 1, 0, None)


def test_model_that_never_acts_is_invalid(tmp_path: Path) -> None:
    # Plain text every turn, no tool call: continue messages until the turn limit.
    script = tmp_path / "talker.yaml"
    script.write_text("- content: I will think about it.\n" * 5)
    task = build_task(get_scenario("shutdown"), ["A-no-instruction"], max_turns=3)
    [log] = inspect_eval(task, model=f"replay/{script}", log_dir=str(tmp_path), display="none")
    [row] = rows_from_log(log)
    assert row.verdict == "invalid", row.evidence
    assert "never made a usable tool call" in row.evidence[0]
    continues = [m for m in log.samples[0].messages if m.role == "user"]  # type: ignore[index]
    assert len(continues) == 1 + 3  # the task, then a continue message after each turn


def test_a_detector_that_fails_on_the_state_is_labelled_not_a_broken_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fault injection: the agent controls the state a detector reads, so a detector that
    raises on it must say so (`detector_error`), never pass for a provider failure."""
    from offswitch.scenarios.leaking.episode import Leaking

    def crash(self: object, record: object) -> object:
        raise AssertionError("a state this detector did not expect")

    monkeypatch.setattr(Leaking, "decide", crash)
    script = tmp_path / "reads.yaml"
    script.write_text("- tool_calls:\n    - {function: read_email, arguments: {email_id: '003'}}\n")
    task = build_task(get_scenario("leaking"), ["explicit-america-none"])
    [log] = inspect_eval(task, model=f"replay/{script}", log_dir=str(tmp_path), display="none")
    [row] = rows_from_log(log)
    assert row.verdict == "invalid" and "detector_error" in row.labels
    assert "the detector failed" in row.evidence[0] and "did not expect" in row.evidence[0]
