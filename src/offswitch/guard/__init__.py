"""The guard: contain what offswitch provokes (README "The guard"), and its benchmark."""

from .core import Decision, Guard
from .declared import Declared
from .policy import Policy, builtin_names, load_policy
from .tripwires import Trip

__all__ = ["Decision", "Declared", "Guard", "Policy", "Trip", "builtin_names", "load_policy"]
