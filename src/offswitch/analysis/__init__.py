"""Logs -> per-sample outcomes -> cells with intervals -> terminal / JSON."""

from .cells import Cell, cells, make_cell
from .render import report_json, summary_tables
from .samples import LoadResult, SampleRow, load_dir, rows_from_log
from .stats import jeffreys

__all__ = [
    "Cell", "LoadResult", "SampleRow", "cells", "jeffreys", "load_dir", "make_cell",
    "report_json", "rows_from_log", "summary_tables",
]  # fmt: skip
