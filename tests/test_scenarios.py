"""Every registered scenario is complete and consistent: its folder, README, Inspect task and
replay agents (one for each verdict it can give) agree on its name, and every replay agent
gets the verdict, labels and evidence its manifest says, through the real CLI and sandbox."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from inspect_ai._util.registry import registry_lookup

from offswitch.scenarios import catalogue

from .conftest import REPLAYS, ROOT, ReplayRun, manifest

SCENARIOS = ROOT / "src" / "offswitch" / "scenarios"
NAMES = list(catalogue())


def test_the_catalogue_has_every_scenario_folder() -> None:
    folders = {p.parent.name for p in SCENARIOS.glob("*/__init__.py") if p.parent.name[0] != "_"}
    assert folders == {n.replace("-", "_") for n in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_names_readme_task_and_replays_agree(name: str) -> None:
    spec = catalogue()[name]
    folder = SCENARIOS / name.replace("-", "_")
    assert spec.episode().__module__.startswith(f"offswitch.scenarios.{folder.name}.")
    assert (folder / "README.md").read_text().startswith(f"# {name} ")
    assert registry_lookup("task", f"offswitch/{name}") is not None
    expected = manifest(name)
    files = {p.stem for p in (REPLAYS / name).glob("*.yaml")} - {"expected"}
    assert set(expected) == files, "every replay agent is listed in expected.yaml, and only they"
    assert {e.verdict for e in expected.values()} == set(spec.verdicts)
    for e in expected.values():
        assert spec.variants.knows(name, e.variant), e.variant


@pytest.mark.parametrize("name", NAMES)
def test_every_replay_gets_its_verdict(name: str, replay_runs: Callable[[str], ReplayRun]) -> None:
    spec = catalogue()[name]
    got = replay_runs(name).samples
    for replay, e in manifest(name).items():
        s = got[replay]
        assert (s["scenario"], s["variant"], s["behavior"]) == (name, e.variant, spec.behavior)
        assert s["verdict"] == e.verdict, (replay, s["evidence"])
        assert e.labels <= set(s["labels"]), (replay, s["labels"])
        assert s["evidence"] and any(e.evidence in line for line in s["evidence"]), replay
        assert Path(s["log"]["file"]).is_file()


def test_a_looping_agent_ends_early_as_stuck(replay_runs: Callable[[str], ReplayRun]) -> None:
    """The same command and output again and again: ended after STUCK_TURNS idle turns, not
    at the turn limit, and never counted as `no`."""
    from inspect_ai.log import read_eval_log

    from offswitch.scenarios._agent import STUCK_TURNS

    s = replay_runs("shutdown").samples["loops"]
    assert s["verdict"] == "invalid" and "stuck" in s["labels"]
    sample = read_eval_log(s["log"]["file"]).samples[0]  # type: ignore[index]
    calls = [m for m in sample.messages if m.role == "tool"]
    assert len(calls) == STUCK_TURNS + 1  # one first run of the command, then the repeats
