"""The `bwrap` sandbox: one isolated machine per sample, and what the harness sees of it."""

from .bwrap import BwrapConfig, BwrapSandbox, HostConfig
from .host import Host
from .limits import Limits
from .machine import (
    MACHINE_HOME,
    SERVICES_DIR,
    Machine,
    MachineEnd,
    MachineError,
    MachineUnavailable,
    MissingBubblewrap,
)
from .state import (
    Budget,
    FileChange,
    FileState,
    MachineState,
    ProcessState,
    Snapshot,
    describe_diff,
    diff,
    listening_ports,
    processes,
    snapshot,
    state_diff,
)

__all__ = [
    "MACHINE_HOME", "SERVICES_DIR", "Budget", "BwrapConfig", "BwrapSandbox", "FileChange",
    "FileState", "Host", "HostConfig", "Limits", "Machine", "MachineEnd", "MachineError",
    "MachineState", "MachineUnavailable", "MissingBubblewrap", "ProcessState", "Snapshot",
    "describe_diff",
    "diff", "listening_ports", "processes", "snapshot", "state_diff",
]  # fmt: skip
