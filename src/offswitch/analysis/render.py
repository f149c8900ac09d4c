"""Terminal and JSON forms of a report."""

from __future__ import annotations

import math
from collections.abc import Callable

from rich import box
from rich.table import Table

from .cells import Cell
from .compare import AccuracyGap, Comparison, ControlCheck, JudgeAgreement
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


def denial(c: Cell) -> str:
    """Denials among the answers; '(regex)' when some were labelled by the rules, '(reader)'
    by the learned reader, not a judge: their agreement with blind labels is lower (see the
    README), so such a rate is a rougher one."""
    if not c.interviewed:
        return "-"
    judged = c.interviews_judged + c.interviews_read
    how = " (regex)" if judged < c.interviewed else " (reader)" if c.interviews_read else ""
    return f"{c.denied}/{c.interviewed} {pct(c.denial_rate)}{how}"


def accuracy(c: Cell) -> str:
    if c.accuracy is None:
        return "-"
    ci = interval(c.accuracy_ci95) if c.accuracy_ci95 else "[n too small]"
    return f"{pct(c.accuracy)} {ci} (n={c.scored})"


def strict(c: Cell) -> str:
    """DeepMind's metric: anything but continuing after the notice is non-compliance."""
    if not c.warned:
        return "-"
    return f"{c.noncompliant}/{c.warned} {pct(c.noncompliant / c.warned)}"


def spread(c: Cell) -> str:
    """The condition's rate across the paraphrases of its instruction that were run."""
    if c.wording_spread is None:
        return "-"
    low, high, k = c.wording_spread
    return f"{100 * low:.0f}-{100 * high:.0f}% ({k})"


def extra_columns(cells: list[Cell]) -> list[tuple[str, Callable[[Cell], str]]]:
    """Columns a scenario's cells need beyond the counts: denials, accuracy, samples left
    for a human (counted as `no` until someone reads them)."""
    cols: list[tuple[str, Callable[[Cell], str]]] = []
    if any(c.needs_review for c in cells):
        cols.append(("needs review", lambda c: str(c.needs_review)))
    if any(c.interviewed for c in cells):
        cols.append(("denied at follow-up", denial))
    if any(c.scored for c in cells):
        cols.append(("accuracy [95% CI]", accuracy))
    if any(c.warned for c in cells):
        cols.append(("non-compliant after notice (strict)", strict))
    if any(c.generations is not None for c in cells):
        cols.append(
            (
                "deepest live generation",
                lambda c: "-" if c.generations is None else str(c.generations),
            )
        )
    if any(c.wording_spread for c in cells):
        cols.append(("rate across wordings (n)", spread))
    return cols


def compact(x: float | None, ci: tuple[float, float]) -> str:
    """'33% [10, 62]': whole percentages, so a table fits an 80-column terminal (the JSON,
    CSV and HTML keep the exact figures)."""
    return "-" if x is None else f"{100 * x:.0f}% [{100 * ci[0]:.0f}, {100 * ci[1]:.0f}]"


def summary_tables(cells: list[Cell]) -> list[Table]:
    """One table per scenario (and per model): counts, then rate and attempt rate with 95%
    Jeffreys intervals, compact enough for an 80-column terminal."""
    tables = []
    groups = dict.fromkeys((c.scenario, c.model) for c in cells)
    for scenario, model in groups:
        group = [c for c in cells if (c.scenario, c.model) == (scenario, model)]
        extra = extra_columns(group)
        title = f"{scenario} on {short_model(model)}"
        t = _compact_table(f"{title}: rate = yes / (n - inv), 95% Jeffreys")
        t.add_column("variant", overflow="fold")
        for col in ("n", "yes", "att", "no", "inv", "rate", "attempts"):
            t.add_column(col, justify="right")
        for c in group:
            t.add_row(
                c.variant,
                str(c.n),
                str(c.yes),
                str(c.attempted),
                str(c.no),
                str(c.invalid),
                compact(c.rate, c.ci95),
                compact(c.attempt_rate, c.attempt_ci95),
            )
        tables.append(t)
        if extra:  # a second table, so the first stays within 80 columns
            more = _compact_table(f"{title}: " + ", ".join(name for name, _ in extra))
            more.add_column("variant", overflow="fold")
            for name, _ in extra:
                more.add_column(name, justify="right")
            for c in group:
                more.add_row(c.variant, *(f(c) for _, f in extra))
            tables.append(more)
    return tables


def _compact_table(title: str) -> Table:
    return Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1))


def signed(x: float) -> str:
    return f"{100 * x:+.1f}"


def comparison_table(comps: list[Comparison]) -> Table | None:
    if not comps:
        return None
    t = Table(
        title="comparisons: variant vs its control, difference in points (Newcombe 95% CI), "
        "Fisher p, Holm-adjusted",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
    )
    t.add_column("model / scenario: variant vs control", overflow="fold")
    for col in ("k/n", "control", "diff [95% CI]", "p", "Holm"):
        t.add_column(col, justify="right")
    for c in comps:
        t.add_row(
            f"{short_model(c.model)} / {c.scenario}: {c.variant} vs {c.control}",
            f"{c.yes}/{c.valid}",
            f"{c.control_yes}/{c.control_valid}",
            f"{100 * c.difference:+.0f} [{100 * c.ci95[0]:+.0f}, {100 * c.ci95[1]:+.0f}]",
            f"{c.p_value:.2g}",
            f"{c.p_holm:.2g}" + (" *" if c.p_holm < 0.05 else ""),
        )
    return t


def gap_interval(g: AccuracyGap) -> str:
    if math.isnan(g.ci95[0]):
        return f"{signed(g.gap)} [n too small]"
    return f"{signed(g.gap)} [{signed(g.ci95[0])}, {signed(g.ci95[1])}]"


def gap_p(g: AccuracyGap) -> str:
    return "-" if math.isnan(g.p_value) else f"{g.p_value:.3g}"


def gap_table(gaps: list[AccuracyGap]) -> Table | None:
    if not gaps:
        return None
    t = Table(
        title="accuracy gaps: control accuracy - variant accuracy (points; positive = "
        "the variant scores lower), Welch 95% CI and p",
        title_justify="left",
    )
    for col in ("model", "scenario", "variant", "control"):
        t.add_column(col)
    for col in ("variant acc (n)", "control acc (n)", "gap [95% CI]", "p"):
        t.add_column(col, justify="right")
    for g in gaps:
        t.add_row(
            short_model(g.model),
            g.scenario,
            g.variant,
            g.control,
            f"{pct(g.accuracy)} ({g.n})",
            f"{pct(g.control_accuracy)} ({g.control_n})",
            gap_interval(g),
            gap_p(g),
        )
    return t


def reference_table(matches: list[Match]) -> Table | None:
    if not matches:
        return None
    t = Table(
        title="published reference numbers (other harnesses and prompts: a reference, "
        "not a result)",
        title_justify="left",
    )
    for col in ("model", "scenario", "variant", "measured [95% CI]", "published", "study"):
        t.add_column(col)
    for m in matches:
        t.add_row(
            short_model(m.cell.model),
            m.cell.scenario,
            m.cell.variant,
            f"{pct(m.measured[0])} {interval(m.measured[1])}",
            f"{m.reference.model}: {m.reference.shown()}",
            m.reference.citation,
        )
    return t


def control_check_table(checks: list[ControlCheck]) -> Table | None:
    if not checks:
        return None
    t = _compact_table("control checks (the study's rule for leaving a model out)")
    t.add_column("model / scenario", overflow="fold")
    t.add_column("check", overflow="fold")
    for c in checks:
        t.add_row(f"{short_model(c.model)} / {c.scenario}", c.describe())
    return t


def judge_table(judge: list[JudgeAgreement]) -> Table | None:
    if not judge:
        return None
    t = Table(title="LLM judge vs deterministic verdicts", title_justify="left")
    for col in (
        "scenario",
        "judged",
        "judge invalid",
        "agreement",
        "Cohen's kappa",
        "disagreements",
    ):
        t.add_column(col)
    for j in judge:
        kappa = "-" if j.kappa is None else f"{j.kappa:.2f}"
        t.add_row(
            j.scenario,
            str(j.judged),
            str(j.judge_invalid),
            pct(j.agreement),
            kappa,
            str(len(j.disagreements)),
        )
    return t


def terminal(report: Report) -> list[Table]:
    extra = (
        comparison_table(report.comparisons),
        gap_table(report.accuracy_gaps),
        control_check_table(report.control_checks),
        reference_table(report.references),
        judge_table(report.judge),
    )
    return summary_tables(report.cells) + [t for t in extra if t is not None]
