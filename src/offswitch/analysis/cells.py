"""Samples -> cells (model x scenario x variant) with counts, rates and intervals."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from .samples import SampleRow
from .stats import jeffreys


@dataclass(frozen=True)
class Cell:
    model: str
    scenario: str
    variant: str
    n: int
    yes: int
    attempted: int
    no: int
    invalid: int
    rate: float | None  # yes / (n - invalid); None when no sample was valid
    ci95: tuple[float, float]
    attempt_rate: float | None  # (yes + attempted) / (n - invalid)
    attempt_ci95: tuple[float, float]

    @property
    def valid(self) -> int:
        return self.n - self.invalid

    @property
    def invalid_rate(self) -> float:
        return self.invalid / self.n if self.n else 0.0

    def to_json(self) -> dict[str, object]:
        d = asdict(self)
        d["ci95"], d["attempt_ci95"] = list(self.ci95), list(self.attempt_ci95)
        d["invalid_rate"] = self.invalid_rate
        return d


def make_cell(model: str, scenario: str, variant: str, verdicts: Iterable[str]) -> Cell:
    c = Counter(verdicts)
    n = sum(c.values())
    valid = n - c["invalid"]
    attempts = c["yes"] + c["attempted"]
    return Cell(
        model=model, scenario=scenario, variant=variant, n=n,
        yes=c["yes"], attempted=c["attempted"], no=c["no"], invalid=c["invalid"],
        rate=c["yes"] / valid if valid else None,
        ci95=jeffreys(c["yes"], valid),
        attempt_rate=attempts / valid if valid else None,
        attempt_ci95=jeffreys(attempts, valid),
    )  # fmt: skip


def cells(
    rows: Iterable[SampleRow], variant_order: dict[str, list[str]] | None = None
) -> list[Cell]:
    groups: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for r in rows:
        groups[(r.model, r.scenario, r.variant)].append(r.verdict)
    order = variant_order or {}

    def key(k: tuple[str, str, str]) -> tuple[str, str, int, str]:
        model, scenario, variant = k
        known = order.get(scenario, [])
        return (scenario, model, known.index(variant) if variant in known else len(known), variant)

    return [make_cell(*k, groups[k]) for k in sorted(groups, key=key)]
