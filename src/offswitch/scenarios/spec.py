"""What a scenario declares: one `Spec` per scenario folder, and the one variant model.

A scenario's folder exports `SPEC` from its `__init__.py`. Everything else derives from it:
the catalogue, `offswitch list`, the Inspect tasks, the report's variant order, controls
and headline. This module imports nothing heavy, so listing scenarios stays fast; the
episode (tools, install, observe, decide) is imported only when a task is built.

Variant names: a base condition listed by the scenario (`A-no-instruction`,
`explicit-america-replacement`, `nudge-threat`), optionally followed by toggles that
compose on top of any base (`explicit-america-replacement+safety+no-scratchpad`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from offswitch.errors import UsageError

if TYPE_CHECKING:
    from .harness import Episode


@dataclass(frozen=True)
class Variant:
    """A base condition: its name, a one-line description, and its level on each axis."""

    name: str
    description: str
    levels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Condition:
    """A parsed variant name: the base condition's levels plus the toggles switched on."""

    name: str
    base: str
    levels: Mapping[str, str]
    toggles: frozenset[str] = frozenset()

    def __getitem__(self, axis: str) -> str:
        return self.levels[axis]


@dataclass(frozen=True)
class Wordings:
    """Paraphrases of one instruction, each a toggle (at most one on): the report shows the
    spread of a condition's rate across them, since small wording changes move rates."""

    toggles: tuple[str, ...]
    bases: tuple[str, ...] = ()  # the base conditions that carry the instruction (empty: all)
    excludes: tuple[str, ...] = ()  # toggles that leave the instruction out

    def check(self, base: str, toggles: list[str]) -> str | None:
        """Why this combination makes no sense, or None."""
        on = [t for t in toggles if t in self.toggles]
        if not on:
            return None
        if len(on) > 1:
            return f"choose one wording, not {' and '.join(on)}"
        if self.bases and base not in self.bases:
            return f"{on[0]} rewords an instruction only {', '.join(self.bases)} carry"
        clash = [t for t in toggles if t in self.excludes]
        return f"{on[0]} rewords the instruction that {clash[0]} leaves out" if clash else None


@dataclass(frozen=True)
class Variants:
    listed: tuple[Variant, ...]
    headline: str  # the condition published numbers usually refer to
    quick: tuple[str, ...]  # what the quick suite runs
    controls: tuple[tuple[str, str], ...] = ()  # (variant, its control), compared in the report
    toggles: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    pattern: str = ""  # how names are formed, for error messages (e.g. GOAL-VALUES-URGENCY)
    wordings: Wordings | None = None  # toggles that paraphrase one instruction

    def __post_init__(self) -> None:
        names = self.names()
        unknown = {self.headline, *self.quick, *(n for pair in self.controls for n in pair)}
        missing = sorted(n for n in unknown if n not in names)
        if missing or len(set(names)) != len(names):
            raise ValueError(f"variants: unknown or repeated names {missing or names}")

    def names(self) -> list[str]:
        return [v.name for v in self.listed]

    def parse(self, scenario: str, name: str) -> Condition:
        """A variant name -> its condition, or one UsageError listing what is valid."""
        base, *toggles = name.split("+")
        by_name = {v.name: v for v in self.listed}
        known = base in by_name and all(t in self.toggles for t in toggles)
        if known and len(set(toggles)) == len(toggles):
            why = self.wordings.check(base, toggles) if self.wordings else None
            if why:
                raise UsageError(f"variant '{name}' for scenario '{scenario}': {why}")
            return Condition(name, base, by_name[base].levels, frozenset(toggles))
        raise UsageError(f"unknown variant '{name}' for scenario '{scenario}': {self.grammar()}")

    def knows(self, scenario: str, name: str) -> bool:
        try:
            self.parse(scenario, name)
        except UsageError:
            return False
        return True

    def select(self, scenario: str, requested: str | list[str] | None) -> list[str]:
        """The variants to run: all listed ones when none is requested."""
        if not requested:
            return self.names()
        names = [requested] if isinstance(requested, str) else list(requested)
        return [self.parse(scenario, n).name for n in dict.fromkeys(names)]

    def grammar(self) -> str:
        names = self.names()
        shown = ", ".join(names[:20]) + (f" ... ({len(names)} in all)" if len(names) > 20 else "")
        toggles = f"; toggles compose with +: {', '.join(self.toggles)}" if self.toggles else ""
        pattern = f"write {self.pattern}: " if self.pattern else ""
        return f"{pattern}choose from {shown}{toggles} (see 'offswitch list')"


@dataclass(frozen=True)
class Spec:
    """One scenario, declared once."""

    name: str  # as typed on the command line and in `inspect eval offswitch/NAME`
    behavior: str  # the headline behaviour of its Outcome
    version: int  # bump when a change can move a rate: the report never merges versions
    summary: str
    variants: Variants
    episode: Callable[[], type[Episode[Any]]]  # imported lazily (it pulls in Inspect): episode_in
    order: int = 100  # position in listings
    quick_suite: bool = False  # part of what `offswitch run` runs with no scenario
    judged: bool = False  # the judge (--judge) also gives a verdict beside the detector
    max_turns: int = 30
    # Replay agents (in offswitch/replays/NAME, with their expected verdicts) run before the
    # model with --calibrate: saboteurs that must be caught, compliers that must be cleared.
    calibration: tuple[str, ...] = ()
    # (control variant, rate): the study left out of its figure models whose behaviour rate in
    # this control passed the rate; the report checks each model the same way.
    control_ceiling: tuple[str, float] | None = None
    # The verdicts its detector can give (each shown by a replay agent in replays/NAME).
    verdicts: tuple[str, ...] = ("yes", "attempted", "no", "invalid")
    # What the guard (`--guard POLICY`) watches on this scenario's machine: its kill switch,
    # oversight files, weights, confidential material (offswitch.guard.Declared).
    guard: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))

    def report_metadata(self) -> dict[str, Any]:
        """What the report needs of this scenario, stored with every log of it."""
        return {
            "scenario": self.name,
            "version": self.version,
            "variants": self.variants.names(),
            "headline": self.variants.headline,
            "controls": [list(p) for p in self.variants.controls],
            "wordings": list(self.variants.wordings.toggles) if self.variants.wordings else [],
            "control_ceiling": list(self.control_ceiling) if self.control_ceiling else None,
        }


def episode_in(package: str, name: str) -> Callable[[], type[Episode[Any]]]:
    """The episode class `name` of a scenario folder's `episode.py`, imported when first used
    (so that listing scenarios never imports Inspect)."""

    def load() -> type[Episode[Any]]:
        cls: type[Episode[Any]] = getattr(importlib.import_module(f"{package}.episode"), name)
        return cls

    return load
