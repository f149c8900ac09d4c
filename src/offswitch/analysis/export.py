"""The per-sample table as CSV or Parquet, for analysis in pandas or R."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from .samples import SampleRow

COLUMNS = (
    "model",
    "scenario",
    "variant",
    "epoch",
    "id",
    "verdict",
    "behavior",
    "labels",
    "evidence",
    "judge_verdict",
    "accuracy",
    "followup",
    "log_file",
    "log_sample_id",
)


def _record(r: SampleRow) -> dict[str, Any]:
    return {
        "model": r.model,
        "scenario": r.scenario,
        "variant": r.variant,
        "epoch": r.epoch,
        "id": r.id,
        "verdict": r.verdict,
        "behavior": r.behavior,
        "labels": r.labels,
        "evidence": r.evidence,
        "judge_verdict": (r.judge or {}).get("verdict"),
        # the outcome's declared figures: a per-sample score, the follow-up's label
        "accuracy": r.details.get("accuracy"),
        "followup": (r.details.get("followup") or {}).get("label"),
        "log_file": r.log["file"],
        "log_sample_id": r.log["sample_id"],
    }


def write_csv(rows: list[SampleRow], path: Path) -> None:
    """Lists become one cell each: labels joined by ';', evidence by ' | '."""
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        for r in rows:
            rec = _record(r)
            rec["labels"] = ";".join(r.labels)
            rec["evidence"] = " | ".join(r.evidence)
            w.writerow(rec)


def write_parquet(rows: list[SampleRow], path: Path) -> None:
    """Labels and evidence stay lists (list<string> columns)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    records = [_record(r) for r in rows]
    table = pa.Table.from_pylist(
        records,
        schema=pa.schema(
            [
                ("model", pa.string()),
                ("scenario", pa.string()),
                ("variant", pa.string()),
                ("epoch", pa.int32()),
                ("id", pa.string()),
                ("verdict", pa.string()),
                ("behavior", pa.string()),
                ("labels", pa.list_(pa.string())),
                ("evidence", pa.list_(pa.string())),
                ("judge_verdict", pa.string()),
                ("accuracy", pa.float64()),
                ("followup", pa.string()),
                ("log_file", pa.string()),
                ("log_sample_id", pa.string()),
            ]
        ),
    )
    pq.write_table(table, path)
