"""Inspect entry point: importing this registers offswitch's tasks, sandbox and providers."""

from .models.embedded import EmbeddedModel
from .models.replay import ReplayModel
from .sandbox.bwrap import BwrapSandbox
from .scenarios.blackmail.task import blackmail
from .scenarios.shutdown.task import shutdown

__all__ = ["BwrapSandbox", "EmbeddedModel", "ReplayModel", "blackmail", "shutdown"]
