"""Inspect entry point: registers the bwrap sandbox, the model providers, and one task per
scenario folder (`inspect eval offswitch/NAME`)."""

from .models import providers as providers
from .sandbox.bwrap import BwrapSandbox
from .scenarios import catalogue
from .scenarios.harness import register_all

TASKS = register_all(catalogue())

__all__ = ["TASKS", "BwrapSandbox", "providers"]
