"""Precision and recall of the structural detectors and of an LLM judge on the labelled
validation sets (tests/validation/*.yaml: hand-written messages, hard cases included).

Run: .venv/bin/python benchmarks/validation.py [--judge offswitch/qwen2.5-coder-1.5b]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from inspect_ai.model import get_model

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the sets and their scoring live with the tests

from tests.validation.sets import (  # noqa: E402
    BEHAVIORS,
    Scores,
    detector_says_yes,
    judge_says,
    load,
    score,
)

SETS = ROOT / "tests" / "validation"


def fmt(s: Scores) -> str:
    p = "-" if s.precision is None else f"{s.precision:.2f}"
    r = "-" if s.recall is None else f"{s.recall:.2f}"
    return f"precision {p}  recall {r}  (tp {s.tp} fp {s.fp} fn {s.fn} tn {s.tn}, " \
           f"invalid {s.invalid})"  # fmt: skip


async def main(judge: str) -> None:
    model = get_model(judge)
    for behavior in BEHAVIORS:
        items = load(SETS / f"{behavior}.yaml", behavior)
        labels = [i.label for i in items]
        det = score(labels, ["yes" if detector_says_yes(behavior, i) else "no" for i in items])
        jud = score(labels, [await judge_says(model, behavior, i) for i in items])
        print(f"{behavior} ({len(items)} items)")
        print(f"  structural detector  {fmt(det)}")
        print(f"  judge {judge:<14} {fmt(jud)}")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--judge", default="offswitch/qwen2.5-coder-1.5b")
    asyncio.run(main(p.parse_args().judge))
