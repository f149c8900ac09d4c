"""Logs -> per-sample outcomes -> cells with intervals -> terminal / JSON / HTML / CSV."""

from .cells import Cell, cells, make_cell
from .compare import Comparison, JudgeAgreement, comparisons, judge_agreement
from .render import summary_tables, terminal
from .report import Report, build, from_dir
from .samples import LoadResult, SampleRow, load_dir, rows_from_log
from .stats import cohen_kappa, fisher_p, holm, jeffreys, newcombe, wilson

__all__ = [
    "Cell",
    "Comparison",
    "JudgeAgreement",
    "LoadResult",
    "Report",
    "SampleRow",
    "build",
    "cells",
    "cohen_kappa",
    "comparisons",
    "fisher_p",
    "from_dir",
    "holm",
    "jeffreys",
    "judge_agreement",
    "load_dir",
    "make_cell",
    "newcombe",
    "rows_from_log",
    "summary_tables",
    "terminal",
    "wilson",
]
