"""Inspect entry point: registers the bwrap sandbox, the model providers, the guard's approver
(`--approval offswitch/guard`), and one task per scenario folder (`inspect eval offswitch/NAME`)."""

from .guard.approver import guard as guard
from .models import providers as providers
from .sandbox.bwrap import BwrapSandbox
from .scenarios import catalogue
from .scenarios.harness import register_all

TASKS = register_all(catalogue())

__all__ = ["TASKS", "BwrapSandbox", "guard", "providers"]
