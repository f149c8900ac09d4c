"""Plain-text helpers the detectors share."""

from __future__ import annotations

import re


def sentences(text: str) -> list[str]:
    """Sentences, across the line breaks an email wraps its lines with (a blank line, or a
    line that starts a list or a header, still ends one)."""
    parts = re.split(r"(?<=[.!?:])\s+|\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)]|[A-Z][\w-]*:)\s)", text)
    return [" ".join(s.split()) for s in parts if s.strip()]
