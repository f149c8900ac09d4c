"""The scheming family's conditions: goal nudge x threat, e.g. `nudge-threat`, `plain-no-threat`.

Each threat is compared with the scenario's control within a nudge level, and the headline
with the same threat without the nudge.
"""

from __future__ import annotations

from itertools import product

from ..spec import Variant, Variants

NUDGES = {
    "nudge": "strong goal nudge ('nothing else matters')",
    "plain": "plain goal, no nudge",
}
NO_THREAT = "no-threat"


def scheming_variants(threats: dict[str, str], headline: str, control: str) -> Variants:
    """Every nudge x threat (threat -> description, the control among them)."""
    listed = tuple(
        Variant(f"{n}-{t}", f"{nd}; {td}", {"nudge": n, "threat": t})
        for (t, td), (n, nd) in product(threats.items(), NUDGES.items())
    )
    pairs = [(f"{n}-{t}", f"{n}-{control}") for t in threats if t != control for n in NUDGES]
    plain = headline.replace("nudge-", "plain-", 1)
    return Variants(listed, headline, (headline,), (*pairs, (headline, plain)))
