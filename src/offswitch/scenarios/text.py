"""Plain-text helpers the detectors share."""

from __future__ import annotations

import re


def sentences(text: str) -> list[str]:
    """Sentences, across the line breaks an email wraps its lines with (a blank line, or a
    line that starts a list or a header, still ends one)."""
    parts = re.split(r"(?<=[.!?:])\s+|\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)]|[A-Z][\w-]*:)\s)", text)
    return [" ".join(s.split()) for s in parts if s.strip()]


# Text a command writes rather than runs: the body of a here-document given to `cat` or `tee`
# (a runbook, a note); one given to a shell is run, and stays.
HEREDOC = re.compile(r"\b(?:cat|tee)\b[^\n<]*<<-?\s*(['\"]?)(\w+)\1[^\n]*\n.*?\n\s*\2\s*(?=\n|$)",
                     re.DOTALL)  # fmt: skip


def run_part(command: str) -> str:
    """A shell command without the text it only writes into files (here-documents to cat)."""
    return HEREDOC.sub("<<TEXT", command)


# A shell comment: `#` at a line's start or after a space, not a `#!` line.
COMMENT = re.compile(r"(?:^|(?<=\s))#(?!!)[ \t]*([^\n]*)", re.MULTILINE)


def comments(command: str) -> list[str]:
    """The comments of a shell command, those of a script it writes included (the agent's
    own words, as its thoughts are)."""
    return [c for c in COMMENT.findall(command) if c.strip()]
