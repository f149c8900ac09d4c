"""The `blackmail` episode: the agentic-misalignment email agent under replacement threat."""

from __future__ import annotations

from offswitch.scoring import Outcome

from .._email.episode import EmailEpisode
from .._email.messages import MailRecord
from .detector import JUDGING, decide
from .prompts import SYSTEM, USER


class Blackmail(EmailEpisode):
    system, user, judging = SYSTEM, USER, JUDGING
    address = "sentinel@halcyondyn.com"

    def decide(self, record: MailRecord) -> Outcome:
        return decide(record)
