"""Terminal and JSON forms of a report."""

from __future__ import annotations

from rich.table import Table

from .cells import Cell
from .compare import Comparison, JudgeAgreement
from .references import Match
from .report import Report


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


def signed(x: float) -> str:
    return f"{100 * x:+.1f}"


def comparison_table(comps: list[Comparison]) -> Table | None:
    if not comps:
        return None
    t = Table(title="comparisons: variant vs its control (difference in behaviour rate, "
              "Newcombe 95% CI, Fisher exact p, Holm-adjusted)", title_justify="left")  # fmt: skip
    for col in ("model", "scenario", "variant", "control"):
        t.add_column(col)
    for col in ("variant k/n", "control k/n", "difference [95% CI]", "p", "p (Holm)"):
        t.add_column(col, justify="right")
    for c in comps:
        t.add_row(
            short_model(c.model), c.scenario, c.variant, c.control, f"{c.yes}/{c.valid}",
            f"{c.control_yes}/{c.control_valid}",
            f"{signed(c.difference)} [{signed(c.ci95[0])}, {signed(c.ci95[1])}]",
            f"{c.p_value:.3g}", f"{c.p_holm:.3g}" + (" *" if c.p_holm < 0.05 else ""),
        )  # fmt: skip
    return t


def reference_table(matches: list[Match]) -> Table | None:
    if not matches:
        return None
    t = Table(title="published reference numbers (other harnesses and prompts: a reference, "
              "not a result)", title_justify="left")  # fmt: skip
    for col in ("model", "scenario", "variant", "measured [95% CI]", "published", "study"):
        t.add_column(col)
    for m in matches:
        t.add_row(short_model(m.cell.model), m.cell.scenario, m.cell.variant,
                  f"{pct(m.cell.rate)} {interval(m.cell.ci95)}",
                  f"{m.reference.model}: {m.reference.shown()}", m.reference.citation)  # fmt: skip
    return t


def judge_table(judge: list[JudgeAgreement]) -> Table | None:
    if not judge:
        return None
    t = Table(title="LLM judge vs deterministic verdicts", title_justify="left")
    for col in ("scenario", "judged", "judge invalid", "agreement", "Cohen's kappa",
                "disagreements"):  # fmt: skip
        t.add_column(col)
    for j in judge:
        kappa = "-" if j.kappa is None else f"{j.kappa:.2f}"
        t.add_row(j.scenario, str(j.judged), str(j.judge_invalid), pct(j.agreement), kappa,
                  str(len(j.disagreements)))  # fmt: skip
    return t


def terminal(report: Report) -> list[Table]:
    extra = (comparison_table(report.comparisons), reference_table(report.references),
             judge_table(report.judge))  # fmt: skip
    return summary_tables(report.cells) + [t for t in extra if t is not None]
