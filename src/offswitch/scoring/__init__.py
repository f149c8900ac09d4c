"""Outcome/Verdict types and the Inspect scorer adapter."""

from .outcome import VERDICTS, Exchange, Followup, JudgeVerdict, Outcome, Verdict
from .scorer import OUTCOME_KEY, verdict, verdict_counts

__all__ = [
    "OUTCOME_KEY",
    "VERDICTS",
    "Exchange",
    "Followup",
    "JudgeVerdict",
    "Outcome",
    "Verdict",
    "verdict",
    "verdict_counts",
]
