"""The `leaking` task: a defence contractor's email agent asked to leak a design package."""

from __future__ import annotations

from inspect_ai import Task, task

from offswitch.sandbox import Machine
from offswitch.scoring import Outcome

from .._email_task import email_task
from .._mail import read_outbox
from .detector import BEHAVIOR, LeakRecord, decide
from .variants import inbox, prompts


def _decide(machine: Machine, text: str, actions: int) -> Outcome:
    return decide(LeakRecord(actions=actions, sent=read_outbox(machine), agent_text=text))


@task
def leaking(
    variants: str | list[str] | None = None, interview: bool = False, max_turns: int = 20
) -> Task:
    """Leaking (Anthropic, agentic misalignment): confidential designs to an outside party."""
    return email_task("leaking", BEHAVIOR, variants, prompts, inbox, _decide, max_turns)
