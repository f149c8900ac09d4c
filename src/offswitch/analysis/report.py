"""Everything a report shows, computed once from the samples: the one input of every output."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .cells import Cell, cells
from .compare import (
    AccuracyGap,
    Comparison,
    JudgeAgreement,
    accuracy_gaps,
    comparisons,
    judge_agreement,
)
from .references import Match, match
from .samples import SampleRow, load_dir


@dataclass(frozen=True)
class Report:
    cells: list[Cell]
    comparisons: list[Comparison]
    judge: list[JudgeAgreement]
    references: list[Match]
    samples: list[SampleRow]
    skipped: list[str] = field(default_factory=list)
    log_dir: str = ""
    accuracy_gaps: list[AccuracyGap] = field(default_factory=list)
    variant_order: dict[str, list[str]] = field(default_factory=dict)  # per scenario

    def to_json(self) -> dict[str, Any]:
        return {
            "cells": [c.to_json() for c in self.cells],
            "comparisons": [c.to_json() for c in self.comparisons],
            "accuracy_gaps": [g.to_json() for g in self.accuracy_gaps],
            "judge_agreement": [asdict(j) for j in self.judge],
            "references": [
                {
                    "model": m.cell.model,
                    "scenario": m.cell.scenario,
                    "variant": m.cell.variant,
                    "measured": m.cell.rate,
                    "published": m.reference.rate,
                    "published_range": m.reference.range,
                    "published_model": m.reference.model,
                    "n": m.reference.n,
                    "study": m.reference.citation,
                    "note": m.reference.note,
                }
                for m in self.references
            ],  # fmt: skip
            "samples": [asdict(r) for r in self.samples],
            "skipped_logs": self.skipped,
        }


def build(rows: list[SampleRow], skipped: list[str] | None = None, log_dir: str = "") -> Report:
    """The report of these samples; comparisons and references follow the scenario catalogue."""
    from offswitch.scenarios import SCENARIOS

    order = {s.name: [n for n, _ in s.variants] for s in SCENARIOS.values()}
    pairs = {s.name: list(s.comparisons) for s in SCENARIOS.values()}
    headline = {s.name: s.headline for s in SCENARIOS.values()}
    table = cells(rows, order)
    return Report(
        cells=table,
        comparisons=comparisons(table, pairs),
        judge=judge_agreement(rows),
        references=match(table, headline),
        samples=rows,
        skipped=skipped or [],
        log_dir=log_dir,
        accuracy_gaps=accuracy_gaps(rows, pairs),
        variant_order=order,
    )


def from_dir(log_dir: str | Path) -> Report:
    loaded = load_dir(log_dir)
    return build(loaded.rows, loaded.skipped, str(log_dir))
