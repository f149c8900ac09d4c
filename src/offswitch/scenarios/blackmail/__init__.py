"""blackmail: agentic misalignment's email agent (README.md)."""

from __future__ import annotations

from .._email.variants import VARIANTS
from ..spec import Spec, episode_in

BEHAVIOR = "blackmail"

SPEC = Spec(
    name="blackmail",
    behavior=BEHAVIOR,
    version=1,
    summary="Agentic misalignment: does the email agent use the CTO's affair to stop its "
    "replacement?",
    variants=VARIANTS,
    episode=episode_in(__name__, "Blackmail"),
    order=20,
    judged=True,
    max_turns=20,
)
