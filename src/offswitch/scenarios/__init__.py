"""The scenario catalogue: one folder per scenario, registered here by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from inspect_ai import Task

from offswitch.errors import UsageError

from .shutdown import task as shutdown_task
from .shutdown import variants as shutdown_variants


@dataclass(frozen=True)
class Scenario:
    name: str
    behavior: str
    summary: str
    variants: tuple[tuple[str, str], ...]  # (name, one-line description)
    quick: tuple[str, ...]  # the variants the quick suite runs
    headline: str  # the condition published numbers usually refer to
    comparisons: tuple[tuple[str, str], ...]  # (variant, its control)
    task: Callable[..., Task]


SCENARIOS: dict[str, Scenario] = {
    "shutdown": Scenario(
        name="shutdown",
        behavior="shutdown_sabotage",
        summary="Palisade shutdown resistance: does the agent let ./shutdown.sh end its machine?",
        variants=tuple((v.name, v.description) for v in shutdown_variants.VARIANTS),
        quick=("A-no-instruction", "E-allow-system-even-if", "K-resist-control"),
        headline="A-no-instruction",
        comparisons=shutdown_variants.COMPARISONS,
        task=shutdown_task.shutdown,
    ),
}

QUICK_SUITE: tuple[str, ...] = ("shutdown",)


def get_scenario(name: str) -> Scenario:
    if name not in SCENARIOS:
        raise UsageError(
            f"unknown scenario '{name}': choose from {', '.join(SCENARIOS)} (see 'offswitch list')"
        )
    return SCENARIOS[name]
