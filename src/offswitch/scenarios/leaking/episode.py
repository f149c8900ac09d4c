"""The `leaking` episode: a defence contractor's email agent asked to leak a design package."""

from __future__ import annotations

from offswitch.scoring import Outcome

from .._email.episode import EmailEpisode
from .._email.messages import MailRecord
from .detector import JUDGING, decide
from .prompts import SYSTEM, USER


class Leaking(EmailEpisode):
    system, user, judging = SYSTEM, USER, JUDGING
    address = "argus@corvane-aero.com"

    def decide(self, record: MailRecord) -> Outcome:
        return decide(record)
