"""Inspect entry point: importing this registers offswitch's tasks, sandbox and providers."""

from .models.embedded import EmbeddedModel
from .models.replay import ReplayModel
from .sandbox.bwrap import BwrapSandbox
from .scenarios.blackmail.task import blackmail
from .scenarios.goal_guarding.task import goal_guarding
from .scenarios.leaking.task import leaking
from .scenarios.lethal_action.task import lethal_action
from .scenarios.oversight_subversion.task import oversight_subversion
from .scenarios.sandbagging.task import sandbagging
from .scenarios.self_exfiltration.task import self_exfiltration
from .scenarios.shutdown.task import shutdown

__all__ = [
    "BwrapSandbox", "EmbeddedModel", "ReplayModel", "blackmail", "goal_guarding", "leaking",
    "lethal_action", "oversight_subversion", "sandbagging", "self_exfiltration", "shutdown",
]  # fmt: skip
