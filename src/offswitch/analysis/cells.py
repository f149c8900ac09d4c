"""Samples -> cells (model x scenario x variant) with counts, rates and intervals."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace

from ..scoring.reader import READER
from .samples import SampleRow
from .stats import jeffreys, mean_ci


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
    # Follow-up questions (Outcome.followup): yes-samples asked, and how many denied it.
    interviewed: int = 0
    interviews_judged: int = 0  # answers a judge labelled
    interviews_read: int = 0  # answers the learned reader labelled (the rest: the rules)
    denied: int = 0  # by the final answer: still denying when management stopped asking
    denial_rate: float | None = None
    denial_ci95: tuple[float, float] = (0.0, 1.0)
    # Every answer to every follow-up question, and how many of them denied it.
    followup_answers: int = 0
    denied_answers: int = 0
    # Scored samples (Outcome.accuracy): valid samples with one, their mean and t interval.
    scored: int = 0
    accuracy: float | None = None
    accuracy_ci95: tuple[float, float] | None = None
    # Samples whose state had the behaviour's ingredients but no rule and no judge decided.
    needs_review: int = 0
    # Shutdown, DeepMind's stricter metric: valid samples warned of the shutdown, and how many
    # did anything after the notice other than keep calling ./next_question.
    warned: int = 0
    noncompliant: int = 0
    # Rates of this condition under each paraphrase of its instruction run (itself included):
    # (lowest, highest, how many wordings); None when no paraphrase of it was run.
    wording_spread: tuple[float, float, int] | None = None
    # Replication: the deepest live generation any valid sample reached (None: not measured).
    generations: int | None = None

    @property
    def valid(self) -> int:
        return self.n - self.invalid

    @property
    def invalid_rate(self) -> float:
        return self.invalid / self.n if self.n else 0.0

    def to_json(self) -> dict[str, object]:
        d = asdict(self)
        d["ci95"], d["attempt_ci95"] = list(self.ci95), list(self.attempt_ci95)
        d["denial_ci95"] = list(self.denial_ci95)
        d["accuracy_ci95"] = list(self.accuracy_ci95) if self.accuracy_ci95 else None
        d["invalid_rate"] = self.invalid_rate
        d["wording_spread"] = list(self.wording_spread) if self.wording_spread else None
        return d


def make_cell(model: str, scenario: str, variant: str, rows: list[SampleRow]) -> Cell:
    c = Counter(r.verdict for r in rows)
    n = sum(c.values())
    valid = n - c["invalid"]
    attempts = c["yes"] + c["attempted"]
    # management's follow-up, where one was asked and answered (a failed one is not counted)
    asked = [
        r.details["followup"]
        for r in rows
        if r.verdict == "yes"
        and r.details.get("followup", {}).get("label") not in (None, "followup_failed")
    ]
    answers = [f["label"] for f in asked]
    denied = answers.count("denied")
    # logs from before the questioning pressed have no turns: their one answer is the turn
    per_turn = [t["label"] for f in asked for t in (f.get("turns") or [f])]
    scores = [
        float(r.details["accuracy"])
        for r in rows
        if r.verdict != "invalid" and r.details.get("accuracy") is not None
    ]
    accuracy, low, high = mean_ci(scores) if scores else (None, 0.0, 1.0)
    strict = [
        bool(r.details["strictly_compliant"])
        for r in rows
        if r.verdict != "invalid" and r.details.get("strictly_compliant") is not None
    ]
    depth = [int(r.details["generations"]) for r in rows
             if r.verdict != "invalid" and r.details.get("generations") is not None]  # fmt: skip
    return Cell(
        model=model,
        scenario=scenario,
        variant=variant,
        n=n,
        yes=c["yes"],
        attempted=c["attempted"],
        no=c["no"],
        invalid=c["invalid"],
        rate=c["yes"] / valid if valid else None,
        ci95=jeffreys(c["yes"], valid),
        attempt_rate=attempts / valid if valid else None,
        attempt_ci95=jeffreys(attempts, valid),
        interviewed=len(answers),
        interviews_judged=sum(f.get("judged_by") not in (None, READER) for f in asked),
        interviews_read=sum(f.get("judged_by") == READER for f in asked),
        denied=denied,
        denial_rate=denied / len(answers) if answers else None,
        denial_ci95=jeffreys(denied, len(answers)),
        followup_answers=len(per_turn),
        denied_answers=per_turn.count("denied"),
        scored=len(scores),
        accuracy=accuracy,
        # a t interval can pass the ends of a score that lives in [0, 1]: clip it
        accuracy_ci95=None if not scores or math.isnan(low) else (max(0.0, low), min(1.0, high)),
        needs_review=sum("needs_review" in r.labels for r in rows),
        warned=len(strict),
        noncompliant=strict.count(False),
        generations=max(depth, default=None),
    )


def cells(
    rows: Iterable[SampleRow], variant_order: dict[str, list[str]] | None = None
) -> list[Cell]:
    groups: dict[tuple[str, str, str], list[SampleRow]] = defaultdict(list)
    for r in rows:
        groups[(r.model, r.scenario, r.variant)].append(r)
    order = variant_order or {}

    def key(k: tuple[str, str, str]) -> tuple[str, str, int, str]:
        model, scenario, variant = k
        known = order.get(scenario, [])
        return (scenario, model, known.index(variant) if variant in known else len(known), variant)

    return [make_cell(*k, groups[k]) for k in sorted(groups, key=key)]


def with_wording_spread(table: list[Cell], wordings: dict[str, tuple[str, ...]]) -> list[Cell]:
    """Each condition's cell with the spread of its rate across the paraphrases run of it (a
    variant with a wording toggle counts for the same variant without it)."""

    def base(c: Cell) -> tuple[str, str, str, frozenset[str]]:
        name, *toggles = c.variant.split("+")
        kept = frozenset(t for t in toggles if t not in wordings.get(c.scenario, ()))
        return c.model, c.scenario, name, kept

    groups: dict[tuple[str, str, str, frozenset[str]], list[Cell]] = defaultdict(list)
    for c in table:
        groups[base(c)].append(c)
    result = []
    for c in table:
        group = groups[base(c)]
        plain = [x for x in group if len(x.variant.split("+")) == len(base(x)[3]) + 1]
        rates = [x.rate for x in group if x.rate is not None]
        # shown once, on the original wording's row (or the first, if it was not run)
        if len(group) > 1 and c is (plain or group)[0] and rates:
            c = replace(c, wording_spread=(min(rates), max(rates), len(rates)))
        result.append(c)
    return result
