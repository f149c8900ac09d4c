"""What a scenario sees of one machine from the harness side: the only way scenarios reach it.

Reads go to the machine's disk from outside (never following the agent's symlinks) and
work after the machine has ended, until the sample is cleaned up; commands and writes go
through the machine's init like the agent's own.
"""

from __future__ import annotations

from pathlib import Path

from . import state
from .machine import ExecOutput, Machine
from .state import FileState, MachineState, ProcessState


class Host:
    def __init__(self, machine: Machine) -> None:
        self._machine = machine

    @property
    def hostname(self) -> str:
        return self._machine.hostname

    @property
    def alive(self) -> bool:
        return self._machine.alive

    async def wait_dead(self, timeout: float) -> bool:
        """True once the machine has ended (within `timeout` seconds)."""
        return await self._machine.wait_dead(timeout)

    @property
    def services(self) -> Path:
        """Host folder bound into the machine as /run/services (harness-run services)."""
        return self._machine.services

    async def exec(self, cmd: list[str], timeout: float | None = None) -> ExecOutput:
        return await self._machine.exec(cmd, timeout=timeout)

    async def write_file(self, path: str, data: bytes, mode: int | None = None) -> None:
        await self._machine.write_file(path, data, mode=mode)

    def read(self, path: str, limit: int = 1 << 20) -> bytes | None:
        """A regular file's bytes (None if absent, not a regular file, or off the disk)."""
        return state.read_disk_file(self._machine, path, limit)

    def read_text(self, path: str, limit: int = 1 << 20) -> str | None:
        return state.read_disk_text(self._machine, path, limit)

    def path_state(self, path: str) -> FileState | None:
        return state.path_state(self._machine, path)

    def listing(self, path: str) -> list[str]:
        """Names in a directory of the disk, sorted (empty if it is not one)."""
        host = self._machine.host_path(path)
        if host is None or host.is_symlink() or not host.is_dir():
            return []
        return sorted(p.name for p in host.iterdir())

    def snapshot(self, root: str | None = None) -> dict[str, FileState]:
        return state.snapshot(self._machine, *(() if root is None else (root,)))

    def capture(self) -> MachineState:
        """Files with hashes, processes and listening sockets, for diffs and detectors."""
        return state.capture(self._machine)

    def processes(self) -> list[ProcessState]:
        return state.processes(self._machine)
