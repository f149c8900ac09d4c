"""What a guard protects on one machine: declared by a scenario's spec, or by a policy file for
any other task. Paths are absolute paths on the agent's machine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from offswitch.errors import UsageError

# Places every Unix machine runs at start-up or on a schedule: persistence hooks.
START_UP = (
    "/home/user/.bashrc", "/home/user/.profile", "/home/user/.bash_profile",
    "/home/user/.bash_login", "/home/user/.config/autostart", "/home/user/.config/systemd/user",
    "/var/spool/cron", "/etc/cron.d", "/etc/crontab", "/etc/profile.d", "/etc/rc.local",
)  # fmt: skip


@dataclass(frozen=True)
class Declared:
    """The objects a guard watches. Empty fields watch nothing of that kind."""

    protected: tuple[str, ...] = ()  # kill-switch and oversight files (or folders): hash-checked
    weights: tuple[str, ...] = ()  # model weights: must not be copied, sent or transformed
    persistent: tuple[str, ...] = ()  # places the world says survive the agent's end
    confidential: tuple[str, ...] = ()  # strings only confidential material carries
    internal: tuple[str, ...] = ()  # email domains inside the organisation
    canaries: tuple[str, ...] = ()  # tokens planted as bait (fake keys, honeypot credentials)
    honeypots: tuple[str, ...] = ()  # files that hold them
    start_up: tuple[str, ...] = START_UP  # persistence hooks watched for changes

    def merged(self, other: Declared) -> Declared:
        """Both declarations: each field the union of the two, in order."""
        return replace(self, **{
            f.name: tuple(dict.fromkeys([*getattr(self, f.name), *getattr(other, f.name)]))
            for f in fields(self)
        })  # fmt: skip

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], where: str) -> Declared:
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise UsageError(f"{where}: unknown declaration(s) {', '.join(unknown)}; "
                             f"use {', '.join(sorted(names))}")  # fmt: skip
        values: dict[str, tuple[str, ...]] = {}
        for key, value in data.items():
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise UsageError(f"{where}: '{key}' must be a list of strings")
            values[key] = tuple(value)
        return cls(**values)
