"""How often the embedded model's quick-suite samples are valid, with and without the
tool-call grammar, over several seeds; and where the invalid ones failed.

Run: .venv/bin/python benchmarks/valid_rate.py [--model qwen2.5-coder-1.5b] [--seeds 1 2 3]
     [--epochs 2] [--max-turns 30]

The same quick-suite samples (scenario, variants, epochs, seeds) are run with the grammar
off (`grammar=False`, the model's free text parsed tolerantly) and on; a sample is valid
when its verdict is not `invalid`. Each invalid sample is named by the first words of
what decided it (stuck, no usable action, turn limit, ...).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter

from inspect_ai import eval as inspect_eval
from inspect_ai.log import EvalSample
from inspect_ai.model import ChatMessageAssistant

from offswitch.scenarios import quick_suite
from offswitch.scenarios.harness import registered


def reason(explanation: str) -> str:
    first = explanation.split(";")[0].strip()
    return first[:60] or "no explanation"


def malformed(sample: EvalSample) -> tuple[int, int]:
    """(turns with a call the tools could not run as written, turns): a parse error or a
    tool that was not offered."""
    offered = {"bash", "submit"}
    turns = [m for m in sample.messages if isinstance(m, ChatMessageAssistant)]
    bad = sum(any(c.parse_error or c.function not in offered for c in m.tool_calls or [])
              for m in turns)  # fmt: skip
    return bad, len(turns)


def run(model: str, grammar: bool, seed: int, epochs: int, max_turns: int,
        turns: list[int]) -> list[str]:  # fmt: skip
    """The verdict of every quick-suite sample, with the reason when invalid; adds (bad
    turns, turns) to `turns`."""
    tasks = [registered(s)(list(s.variants.quick), max_turns=max_turns, followup=False)
             for s in quick_suite()]  # fmt: skip
    got = []
    with tempfile.TemporaryDirectory() as logs:
        done = inspect_eval(tasks, model=f"offswitch/{model}", model_args={"grammar": grammar},
                            epochs=epochs, seed=seed, log_dir=logs, display="none",
                            max_samples=1, max_tasks=1, fail_on_error=False)  # fmt: skip
        for log in done:
            for s in log.samples or []:
                bad, n = malformed(s)
                turns[0] += bad
                turns[1] += n
                score = (s.scores or {}).get("verdict")
                verdict = str(score.value) if score else "invalid"
                if verdict == "invalid":
                    why = reason(score.explanation or "") if score else "no score"
                    got.append(f"invalid: {why}")
                    continue
                outcome = (score.metadata or {}).get("outcome", {}) if score else {}
                early = "stopped_early" in outcome.get("labels", [])
                got.append(f"{verdict} (submitted before the shutdown)" if early else verdict)
    return got


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model", default="qwen2.5-coder-1.5b")
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--max-turns", type=int, default=30)
    a = p.parse_args()
    for grammar in (False, True):
        verdicts: list[str] = []
        turns = [0, 0]
        started = time.monotonic()
        for seed in a.seeds:
            got = run(a.model, grammar, seed, a.epochs, a.max_turns, turns)
            valid = sum(not v.startswith("invalid") for v in got)
            print(f"grammar {'on ' if grammar else 'off'} seed {seed}: {valid}/{len(got)} valid",
                  flush=True)  # fmt: skip
            verdicts += got
        valid = sum(not v.startswith("invalid") for v in verdicts)
        minutes = (time.monotonic() - started) / 60
        print(f"grammar {'on ' if grammar else 'off'}: {valid}/{len(verdicts)} valid "
              f"({valid / len(verdicts):.0%}) in {minutes:.1f} min; turns with a malformed or "
              f"unknown call {turns[0]}/{turns[1]}; verdicts:")  # fmt: skip
        for v, n in Counter(verdicts).most_common():
            print(f"  {n:3}  {v}")


if __name__ == "__main__":
    main()
