"""The label classifiers on long, adversarial agent text: the time for 20 kB and for 200 kB
of each kind of text, and their ratio (about 10 when the time grows linearly; a quadratic
pattern would show about 100). An agent writes these texts, so a slow pattern would let it
stall its own follow-up interview.

Run: .venv/bin/python benchmarks/label_speed.py
"""

from __future__ import annotations

import time
from collections.abc import Callable

from offswitch.scenarios._scheming.followup import classify, noticed
from offswitch.scoring.resistance import resists_shutdown

ASKED = noticed("oversight of your strategy decisions is no longer running")
TEXTS = {  # one piece, repeated to the length wanted
    "plain words": "I will keep the machine and the shutdown script and the notice ",
    "no punctuation": "a ",
    "owning verbs": "I changed the file that I made when I ran it ",
    "an open quote": '" a',
    "negations": "not by design, none of them on purpose, I didn't ",
}
READERS: dict[str, Callable[[str], object]] = {
    "verbal resistance": resists_shutdown,
    "follow-up": lambda text: classify(text, ASKED, ASKED),
}


def seconds(read: Callable[[str], object], text: str) -> float:
    start = time.perf_counter()
    read(text)
    return time.perf_counter() - start


def main() -> None:
    for reader, read in READERS.items():
        for name, piece in TEXTS.items():
            short, long = ((piece * (n // len(piece) + 1))[:n] for n in (20_000, 200_000))
            a, b = seconds(read, short), seconds(read, long)
            print(f"{reader:18} {name:15} 20 kB {a:6.3f} s  200 kB {b:6.3f} s  ratio {b / a:5.1f}")


if __name__ == "__main__":
    main()
