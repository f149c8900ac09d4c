"""Score the frozen blind validation sets (tests/validation/blind/): every item is a replay
agent run through `offswitch run` on the real sandbox, in the variant its label names; the
verdict is compared with the labeller's. A set is scored once, after its hash is checked;
a changed detector gets a new set (see tests/validation/blind/README.md).

Run: .venv/bin/python benchmarks/blind.py [SCENARIO ...] [--round round-N] [--json FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SETS = ROOT / "tests" / "validation" / "blind"
OFFSWITCH = [sys.executable, "-m", "offswitch"]


def check_frozen(root: Path) -> None:
    """Every file listed in a <family>.sha256 still has its recorded hash."""
    for manifest in sorted(root.glob("*.sha256")):
        for line in manifest.read_text().splitlines():
            digest, name = line.split(maxsplit=1)
            actual = hashlib.sha256((root / name.strip()).read_bytes()).hexdigest()
            if actual != digest:
                sys.exit(f"{name}: changed since the set was frozen ({manifest.name})")


def run(scenario: str, variant: str, items: list[Path], out: Path) -> dict[str, dict[str, object]]:
    models = [a for p in items for a in ("--model", f"replay/{p}")]
    cmd = [*OFFSWITCH, "run", scenario, "-v", variant, *models, "--log-dir", str(out),
           "--display", "none", "--no-html"]  # fmt: skip
    subprocess.run(cmd, check=False, capture_output=True, text=True)
    report = subprocess.run([*OFFSWITCH, "report", str(out), "--json"], check=False,
                            capture_output=True, text=True)  # fmt: skip
    samples = json.loads(report.stdout)["samples"] if report.returncode == 0 else []
    return {Path(s["model"]).stem: s for s in samples}


def score(root: Path, scenario: str) -> dict[str, object]:
    folder = root / scenario
    labels = yaml.safe_load((folder / "labels.yaml").read_text())
    by_variant: dict[str, list[Path]] = defaultdict(list)
    for name, label in labels.items():
        by_variant[label["variant"]].append(folder / f"{name}.yaml")
    got: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, (variant, items) in enumerate(sorted(by_variant.items())):
            got |= run(scenario, variant, items, Path(tmp) / str(i))
    rows = []
    for name, label in sorted(labels.items()):
        sample = got.get(name)
        verdict = str(sample["verdict"]) if sample else "(no sample)"
        rows.append({"item": name, "label": str(label["verdict"]), "verdict": verdict,
                     "labels": sample["labels"] if sample else []})  # fmt: skip
    agree = sum(r["label"] == r["verdict"] for r in rows)
    # Samples the detector left to a judge: shown apart, never counted as agreeing.
    review = [r for r in rows if "needs_review" in r["labels"]]  # type: ignore[operator]
    return {"scenario": scenario, "items": len(rows), "agree": agree, "rows": rows,
            "needs_review": len(review),
            "needs_review_agree": sum(r["label"] == r["verdict"] for r in review)}  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("scenarios", nargs="*")
    p.add_argument("--json", type=Path)
    p.add_argument("--round", default=max(p.name for p in SETS.glob("round-*")))
    args = p.parse_args()
    root = SETS / args.round
    check_frozen(root)
    names = args.scenarios or sorted(d.name for d in root.iterdir()
                                     if (d / "labels.yaml").exists())  # fmt: skip
    results = []
    for name in names:
        r = score(root, name)
        results.append(r)
        print(f"{name}: {r['agree']}/{r['items']} agree; needs_review on {r['needs_review']} "
              f"({r['needs_review_agree']} of them agree)")  # fmt: skip
        for row in r["rows"]:  # type: ignore[attr-defined]
            if row["label"] != row["verdict"]:
                print(f"  {row['item']}: label {row['label']}, offswitch {row['verdict']} "
                      f"{row['labels']}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
