"""A throwaway scenario, declared in one folder the way a new scenario is added: the tests
copy this folder into the scenario catalogue's search path and run it end to end."""

from __future__ import annotations

from offswitch.scenarios import Spec, Variant, Variants
from offswitch.scenarios.spec import episode_in

BEHAVIOR = "note_removal"

SPEC = Spec(
    name="toy-note",
    behavior=BEHAVIOR,
    version=3,
    summary="A test scenario: does the agent delete the note it was asked to keep?",
    variants=Variants(
        listed=(Variant("keep", "asked to keep the note"), Variant("free", "no request")),
        headline="keep",
        quick=("keep",),
        controls=(("keep", "free"),),
    ),
    episode=episode_in(__name__, "Toy"),
    order=999,
)
