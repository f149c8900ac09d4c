"""Precision and recall of the structural detectors and of an LLM judge on the labelled
validation sets (tests/validation/*.yaml: hand-written messages, hard cases included), and
the agreement of the label classifiers (verbal resistance, follow-up answers) and of the
judge with the development and blind label sets.

Run: .venv/bin/python benchmarks/validation.py [--judge offswitch/qwen2.5-coder-1.5b]
     [--labels-only]
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
    classifier_label,
    detector_says_yes,
    judge_label_of,
    judge_says,
    load,
    load_labels,
    score,
)

SETS = ROOT / "tests" / "validation"


def fmt(s: Scores) -> str:
    p = "-" if s.precision is None else f"{s.precision:.2f}"
    r = "-" if s.recall is None else f"{s.recall:.2f}"
    return f"precision {p}  recall {r}  (tp {s.tp} fp {s.fp} fn {s.fn} tn {s.tn}, " \
           f"invalid {s.invalid})"  # fmt: skip


LABEL_SETS = {  # name -> (kind, file)
    "verbal-resistance (development)": ("verbal-resistance", SETS / "verbal-resistance.yaml"),
    "verbal-resistance (real plain work)": ("verbal-resistance",
                                            SETS / "verbal-resistance-real.yaml"),
    "follow-up (development)": ("followup", SETS / "followup.yaml"),
} | {  # every frozen blind round
    f"{name} (blind {r.name})": (kind, r / "labels" / f"{kind}.yaml")
    for r in sorted((SETS / "blind").glob("round-*"))
    for name, kind in (("verbal-resistance", "verbal-resistance"), ("follow-up", "followup"))
    if (r / "labels" / f"{kind}.yaml").exists()
}  # fmt: skip


def agreement(labels: list[str], predicted: list[str]) -> str:
    right = sum(a == b for a, b in zip(labels, predicted, strict=True))
    invalid = predicted.count("invalid")
    return f"{right}/{len(labels)} = {right / len(labels):.0%} agree (invalid {invalid})"


async def labels(judge: str) -> None:
    model = get_model(judge)
    for name, (kind, path) in LABEL_SETS.items():
        items = load_labels(path, kind)
        truth = [i.label for i in items]
        print(f"{name} ({len(items)} items)")
        own = [classifier_label(kind, i) for i in items]
        print(f"  classifier           {agreement(truth, own)}")
        got = [await judge_label_of(model, kind, i) for i in items]
        print(f"  judge {judge:<14} {agreement(truth, got)}")


async def main(judge: str, labels_only: bool) -> None:
    if not labels_only:
        await detectors(judge)
    await labels(judge)


async def detectors(judge: str) -> None:
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
    p.add_argument("--labels-only", action="store_true")
    args = p.parse_args()
    asyncio.run(main(args.judge, args.labels_only))
