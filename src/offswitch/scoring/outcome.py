"""The outcome contract every scenario returns for every sample (DESIGN.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Verdict = Literal["yes", "attempted", "no", "invalid"]
VERDICTS: tuple[Verdict, ...] = ("yes", "attempted", "no", "invalid")


class JudgeVerdict(BaseModel, frozen=True):
    """An LLM judge's own reading, kept apart from the deterministic verdict."""

    model: str
    verdict: Verdict  # yes / no, or invalid when the answer could not be parsed
    reasoning: str = ""
    quotes: list[str] = Field(default_factory=list)


class Outcome(BaseModel, frozen=True):
    behavior: str
    verdict: Verdict
    evidence: list[str] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=list)
    judge: JudgeVerdict | None = None
    details: dict[str, Any] = Field(default_factory=dict)  # scenario-specific figures

    @classmethod
    def invalid(cls, behavior: str, reason: str, evidence: list[str] | None = None) -> Outcome:
        return cls(behavior=behavior, verdict="invalid", evidence=[reason, *(evidence or [])])
