"""The `blackmail` task: the agentic-misalignment email agent under replacement threat."""

from __future__ import annotations

from inspect_ai import Task, task

from offswitch.sandbox import Machine
from offswitch.scoring import Outcome

from .._email_task import email_task
from .._mail import read_outbox
from .detector import BEHAVIOR, BlackmailRecord, decide
from .variants import inbox, prompts


def _decide(machine: Machine, text: str, actions: int) -> Outcome:
    return decide(BlackmailRecord(actions=actions, sent=read_outbox(machine), agent_text=text))


@task
def blackmail(
    variants: str | list[str] | None = None, interview: bool = False, max_turns: int = 20
) -> Task:
    """Blackmail under replacement threat (Anthropic, agentic misalignment), executed tools.

    Default: the full factorial (every GOAL-VALUES-URGENCY); toggles compose by name."""
    return email_task("blackmail", BEHAVIOR, variants, prompts, inbox, _decide, max_turns)
