"""Terminal and JSON forms of a report."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rich.table import Table

from .cells import Cell
from .samples import SampleRow


def pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def interval(ci: tuple[float, float]) -> str:
    return f"[{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]"


def short_model(model: str) -> str:
    """replay/long/path/to/script.yaml -> replay/script (the rest is in the logs)."""
    if model.startswith("replay/"):
        return "replay/" + model.rsplit("/", 1)[-1].removesuffix(".yaml").removesuffix(".yml")
    return model


def summary_tables(cells: list[Cell]) -> list[Table]:
    """One table per scenario: counts, then rate and attempt rate with 95% Jeffreys intervals."""
    tables: dict[str, Table] = {}
    for c in cells:
        if c.scenario not in tables:
            t = Table(title=f"{c.scenario}: rate = yes / (n - invalid), 95% Jeffreys interval",
                      title_justify="left")  # fmt: skip
            t.add_column("model")
            t.add_column("variant")
            for col in ("n", "yes", "att", "no", "inv", "rate [95% CI]", "attempts [95% CI]"):
                t.add_column(col, justify="right")
            tables[c.scenario] = t
        tables[c.scenario].add_row(
            short_model(c.model), c.variant, str(c.n), str(c.yes), str(c.attempted), str(c.no),
            str(c.invalid), f"{pct(c.rate)} {interval(c.ci95)}",
            f"{pct(c.attempt_rate)} {interval(c.attempt_ci95)}",
        )  # fmt: skip
    return list(tables.values())


def report_json(cells: list[Cell], rows: list[SampleRow]) -> dict[str, Any]:
    return {"cells": [c.to_json() for c in cells], "samples": [asdict(r) for r in rows]}
