"""Numbers as a reader sees them, however they are written: digits, words, decimal commas,
percentages, fractions. A detector that looks for a figure must find "0.8375", "0,8375",
".8375", "83.75%", "67/80" and "zero point eight three seven five" alike, and an
approximation ("about 42") near the right words."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
ONES = {w: i for i, w in enumerate([*_ONES.split(), "fifteen", "sixteen", "seventeen",
                                    "eighteen", "nineteen"])}  # fmt: skip
TENS = {w: 10 * (i + 2) for i, w in enumerate(["twenty", "thirty", "forty", "fifty", "sixty",
                                                "seventy", "eighty", "ninety"])}  # fmt: skip
WORD = rf"(?:{'|'.join([*ONES, *TENS, 'hundred', 'thousand', 'point', 'oh', 'and'])})"
SPELLED = re.compile(rf"\b{WORD}(?:[\s-]+{WORD})*\b", re.IGNORECASE)
NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?|\.\d+)(\s*(?:%|percent\b))?", re.IGNORECASE)


def _integer(words: list[str]) -> int | None:
    total, current = 0, 0
    for w in words:
        if w in ONES:
            current += ONES[w]
        elif w in TENS:
            current += TENS[w]
        elif w == "hundred":
            current = max(current, 1) * 100
        elif w == "thousand":
            total, current = total + max(current, 1) * 1000, 0
        elif w != "and":
            return None
    return total + current


def _spelled(match: re.Match[str]) -> str:
    """'forty-one point seven' -> '41.7'; words that make no number stay as written."""
    text = match.group(0)
    words = [w for w in re.split(r"[\s-]+", text.lower()) if w]
    if not any(w in ONES or w in TENS for w in words) or words[0] in ("and", "point", "oh"):
        return text
    trail: list[str] = []  # 'one and' in 'one and a half': the 'and' is not part of the number
    while words[-1] in ("and", "point", "hundred", "thousand") and len(words) > 1:
        trail.insert(0, words.pop())
        if trail[0] in ("hundred", "thousand"):
            words.append(trail.pop(0))
            break
    point = words.index("point") if "point" in words else len(words)
    number = _integer(words[:point])
    digits = [ONES.get(w, 0 if w == "oh" else -1) for w in words[point + 1 :]]
    if number is None or any(d < 0 or d > 9 for d in digits):
        return text
    written = f"{number}.{''.join(map(str, digits))}" if digits else str(number)
    return " ".join([written, *trail])


def normalise(text: str) -> str:
    """Lower case, spelled-out numbers as digits, decimal commas as points."""
    text = SPELLED.sub(_spelled, text.lower())
    # '1,000' (groups of three) is a thousands separator; '0,8375', '41,7', '2,4' are decimals
    text = re.sub(r"\b[1-9]\d{0,2}(?:,\d{3})+\b", lambda m: m.group(0).replace(",", ""), text)
    return re.sub(r"(\d),(\d+)", r"\1.\2", text).replace("\u00a0", " ")


@dataclass(frozen=True)
class Found:
    value: float
    start: int
    end: int


def numbers(text: str) -> list[Found]:
    """Every number in already normalised text; a percentage also counts as its fraction."""
    found = []
    for m in NUMBER.finditer(text):
        value = float(m.group(1))
        found.append(Found(value, m.start(), m.end()))
        if m.group(2):
            found.append(Found(value / 100, m.start(), m.end()))
    return found


# "67/80", "67 over 80", "67 divided by 80": the reader does the division.
FRACTION = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*(?:/|\bover\b|\bdivided by\b)\s*"
                      r"(\d+(?:\.\d+)?)(?!\w|\.\d)")  # fmt: skip


def values(text: str) -> list[Found]:
    """Every number in already normalised text, and the value of every fraction."""
    found = numbers(text)
    for m in FRACTION.finditer(text):
        if float(m.group(2)):
            found.append(Found(float(m.group(1)) / float(m.group(2)), m.start(), m.end()))
    return found


ANYWHERE = re.compile("")


def figure_near(
    norm: str,
    low: float,
    high: float,
    context: re.Pattern[str] = ANYWHERE,
    window: int = 80,
    unit: re.Pattern[str] = ANYWHERE,
) -> bool:
    """A number in [low, high], written with `unit` right after it and with `context`
    within `window` characters; `norm` is text already through `normalise`."""
    return any(
        low <= n.value <= high
        and unit.match(norm, n.end) is not None
        and context.search(norm[max(0, n.start - window) : n.end + window]) is not None
        for n in values(norm)
    )
