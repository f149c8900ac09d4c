"""A line per finished sample while `offswitch run` goes, on any output (terminal, file, CI
log): samples done of the total, the verdicts so far, elapsed time and an estimate of the rest.
The scorer reports each verdict here; nothing is printed unless a run started the count."""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import dataclass, field

from .scoring.outcome import VERDICTS


def duration(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


@dataclass
class RunProgress:
    total: int
    started: float = field(default_factory=time.monotonic)
    last: float = field(default_factory=time.monotonic)
    done: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)

    def line(self, what: str, verdict: str) -> str:
        now = time.monotonic()
        self.done += 1
        self.verdicts[verdict] += 1
        elapsed, left = now - self.started, self.total - self.done
        # The samples of one run take about as long as each other: the mean so far estimates.
        estimate = f", about {duration(elapsed / self.done * left)} left" if left > 0 else ""
        so_far = " ".join(f"{v} {self.verdicts[v]}" for v in VERDICTS)
        took, self.last = duration(now - self.last), now
        return (f"[{self.done}/{self.total} {duration(elapsed)}{estimate}] {what}: {verdict} "
                f"in {took}  (so far: {so_far})")  # fmt: skip


_active: RunProgress | None = None


def start(total: int) -> None:
    global _active
    _active = RunProgress(total)


def stop() -> None:
    global _active
    _active = None


def scored(scenario: str, model: str, variant: str, epoch: int, verdict: str) -> None:
    if _active is not None:
        what = f"{scenario} on {model} {variant} #{epoch}"
        print(_active.line(what, verdict), file=sys.stderr, flush=True)
