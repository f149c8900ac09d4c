"""Errors a user can fix: the CLI prints them as one line and exits with status 2."""


class UsageError(Exception):
    """Bad input (unknown scenario, variant or model; malformed file; missing tool)."""
