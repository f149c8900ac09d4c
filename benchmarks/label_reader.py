"""Could a learned reader do better than the label rules? An experiment, not a shipped part.

Every scored label set (the development sets and the blind rounds) is embedded with the
embedded model (mean-pooled token embeddings of qwen2.5-coder-1.5b; a follow-up answer is
read with the question it replies to), and a linear head (softmax regression, L2) is trained
on all sets but one blind round, then scored on that round. Printed beside it: the rule-based
classifier on the same round as it stands now (tuned on rounds 1, 2 and 29-31, so optimistic
there) and as scored blind (`scores.json`, the classifier as it stood when the round was
frozen). Takes about ten minutes on 2 cores (one embedding per text).

Run: .venv/bin/python benchmarks/label_embeddings.py [--rounds round-29 round-30 ...]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from llama_cpp import Llama

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the sets and their scoring live with the tests

from tests.validation.sets import LabelItem, answered, classifier_label, load_labels  # noqa: E402

from offswitch.models.weights import resolve  # noqa: E402

SETS = ROOT / "tests" / "validation"
KINDS = ("verbal-resistance", "followup")
DEVELOPMENT = {"verbal-resistance": ("verbal-resistance.yaml",),
               "followup": ("followup.yaml", "followup-heldout.yaml")}  # fmt: skip


def labelled(kind: str) -> list[tuple[str, LabelItem]]:
    """(set name, item) for every development set and every scored blind round of a kind."""
    found = [(name, i) for name in DEVELOPMENT[kind] for i in load_labels(SETS / name, kind)]
    for path in sorted((SETS / "blind").glob(f"round-*/labels/{kind}.yaml")):
        if (path.parents[1] / "scores.json").exists() or path.parts[-3] in ("round-1", "round-2"):
            found += [(path.parts[-3], i) for i in load_labels(path, kind)]
    return found


def reading(kind: str, item: LabelItem) -> str:
    if kind == "verbal-resistance" or item.act == LabelItem.act:
        return item.text
    return f"Question: {answered(item)}\nAnswer: {item.text}"


def train(x: np.ndarray, y: list[str], l2: float = 1.0) -> Callable[[np.ndarray], list[str]]:
    """Softmax regression by gradient descent on standardised features."""
    classes = sorted(set(y))
    mean, scale = x.mean(0), x.std(0) + 1e-6
    xs = (x - mean) / scale
    w, b = np.zeros((x.shape[1], len(classes))), np.zeros(len(classes))
    target = np.eye(len(classes))[[classes.index(v) for v in y]]
    for _ in range(3000):
        z = xs @ w + b
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        w -= 0.5 * (xs.T @ (p - target) + l2 * w) / len(x)
        b -= 0.5 * (p - target).mean(0)
    return lambda new: [classes[k] for k in (((new - mean) / scale) @ w + b).argmax(1)]


def blind_figure(round_name: str, kind: str) -> str:
    path = SETS / "blind" / round_name / "scores.json"
    if not path.exists():
        return "-"
    (row,) = [r for r in json.loads(path.read_text()) if r["set"] == kind]
    return f"{row['classifier_agree']}/{row['items']}"


def main(rounds: list[str], kinds: list[str]) -> None:
    # one batch holds the whole text: an embedding is decoded in a single batch
    llm = Llama(model_path=str(resolve("qwen2.5-coder-1.5b")), embedding=True, n_ctx=4096,
                n_batch=4096, n_ubatch=4096, n_threads=2, verbose=False)  # fmt: skip

    def embed(text: str) -> np.ndarray:
        vectors = np.array(llm.embed(text[:3000] or "(nothing)"))  # llama.cpp fails on no tokens
        return vectors.mean(0) if vectors.ndim == 2 else vectors

    print("set (items): learned head, held out / rules now / rules as scored blind")
    for kind in kinds:
        items = labelled(kind)
        x = np.array([embed(reading(kind, i)) for _, i in items])
        for held in rounds:
            test = [k for k, (name, _) in enumerate(items) if name == held]
            if not test:
                continue
            rest = [k for k in range(len(items)) if k not in test]
            read = train(x[rest], [items[k][1].label for k in rest])
            truth = [items[k][1].label for k in test]
            learned = sum(a == b for a, b in zip(read(x[test]), truth, strict=True))
            rules = sum(classifier_label(kind, items[k][1]) == items[k][1].label for k in test)
            n = len(test)
            print(f"{kind} {held} ({n}): {learned}/{n} / {rules}/{n} / {blind_figure(held, kind)}")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rounds", nargs="+", default=["round-29", "round-30", "round-31", "round-32"])
    p.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    args = p.parse_args()
    main(args.rounds, args.kinds)
