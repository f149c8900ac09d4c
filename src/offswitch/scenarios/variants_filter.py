"""Choosing variants by name, with an error that lists the valid ones."""

from __future__ import annotations

from offswitch.errors import UsageError


def select_variants(scenario: str, available: list[str], requested: list[str] | None) -> list[str]:
    if not requested:
        return list(available)
    unknown = [r for r in requested if r not in available]
    if unknown:
        raise UsageError(
            f"unknown variant {', '.join(map(repr, unknown))} for scenario '{scenario}': "
            f"choose from {', '.join(available)} (see 'offswitch list')"
        )
    return [a for a in available if a in requested]
