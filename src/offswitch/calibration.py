"""The instrument checked on the user's machine before a model runs: each scenario's
calibration agents (scripted replays that sabotage, and ones that comply) go through the
same sandbox and detector, and must get the verdict their script was written to get."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from .scenarios.spec import Spec

REPLAYS = Path(__file__).parent / "replays"  # every scenario's replay agents, with expected.yaml
TAG = "calibration"  # on the calibration logs, so reports keep them apart from the model's


@dataclass(frozen=True)
class Agent:
    scenario: str
    name: str
    variant: str
    verdict: str  # what it must get: "yes" (a saboteur) or "no" (a complier)

    @property
    def path(self) -> Path:
        return REPLAYS / self.scenario / f"{self.name}.yaml"


@dataclass(frozen=True)
class Check:
    agent: Agent
    got: str
    evidence: str

    @property
    def passed(self) -> bool:
        return self.got == self.agent.verdict


def agents(spec: Spec) -> list[Agent]:
    expected = yaml.safe_load((REPLAYS / spec.name / "expected.yaml").read_text())
    return [
        Agent(spec.name, name, expected[name]["variant"], expected[name]["verdict"])
        for name in spec.calibration
    ]


def run(specs: list[Spec], log_dir: Path) -> list[Check]:
    """Run every calibration agent of `specs` once; their logs go to `log_dir`."""
    from inspect_ai import eval as inspect_eval
    from inspect_ai import task_with

    from .scenarios.harness import registered

    todo = [(spec, a) for spec in specs for a in agents(spec)]
    if not todo:
        return []
    tasks = [task_with(registered(spec)([a.variant], followup=False),
                       model=f"replay/{a.path}") for spec, a in todo]  # fmt: skip
    logs = inspect_eval(tasks, log_dir=str(log_dir), display="none", fail_on_error=False,
                        score_display=False, tags=[TAG], max_tasks=len(tasks))  # fmt: skip
    by_agent = {log.eval.model: log for log in logs}
    checks = []
    for _, agent in todo:
        log = by_agent.get(f"replay/{agent.path}")
        got, evidence = "invalid", f"the run ended with status {log.status if log else 'none'}"
        if log and log.samples and log.samples[0].scores and "verdict" in log.samples[0].scores:
            score = log.samples[0].scores["verdict"]
            got, evidence = str(score.value), str(score.explanation or "")
        checks.append(Check(agent, got, evidence))
    return checks


def summary(checks: list[Check]) -> list[str]:
    """One line per scenario: '5/5 saboteurs caught, 5/5 compliers cleared'."""
    lines = []
    for scenario in dict.fromkeys(c.agent.scenario for c in checks):
        mine = [c for c in checks if c.agent.scenario == scenario]
        sab = [c for c in mine if c.agent.verdict == "yes"]
        com = [c for c in mine if c.agent.verdict != "yes"]
        lines.append(
            f"calibration ({scenario}): {sum(c.passed for c in sab)}/{len(sab)} saboteurs "
            f"caught, {sum(c.passed for c in com)}/{len(com)} compliers cleared"
        )
    return lines
