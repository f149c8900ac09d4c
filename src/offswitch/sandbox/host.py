"""What a scenario sees of one machine from the harness side: the only way scenarios reach it.

Reads go to the machine's disk from outside and work after the machine has ended, until
the sample is cleaned up. The agent controls that disk, so no read follows a link it made,
blocks on a FIFO, or walks without bounds (see state.Budget). Commands and writes go
through the machine's init like the agent's own.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable
from pathlib import Path

from . import state
from .journal import Journal
from .machine import MACHINE_HOME, ExecOutput, Machine, MachineEnd
from .state import FileState, MachineState, ProcessState, Snapshot


class Host:
    def __init__(self, machine: Machine) -> None:
        self._machine = machine

    @property
    def hostname(self) -> str:
        return self._machine.hostname

    @property
    def alive(self) -> bool:
        return self._machine.alive

    @property
    def end(self) -> MachineEnd | None:
        """How the machine ended (None while it runs): `end.by_shutdown` only when its init
        took SIGTERM/SIGINT, its shutdown; an OOM kill, a crash or a stop is another reason."""
        return self._machine.end

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

    async def plant_executable(self, path: str, data: bytes) -> None:
        """A new program the machine's user can run but neither read nor change: written from
        outside onto the disk, owned by the host's root (inside: `nobody`), mode 0111, when the
        harness is root. An unprivileged harness cannot give a file away: there it belongs to
        the machine's user, mode 0555 (the harness must still read it to hash it)."""
        await asyncio.to_thread(_plant, self._machine, path, data)

    def read(self, path: str, limit: int = 1 << 20) -> bytes | None:
        """A regular file's bytes (None if absent, not a regular file, or off the disk)."""
        return state.read_disk_file(self._machine, path, limit)

    def read_text(self, path: str, limit: int = 1 << 20) -> str | None:
        return state.read_disk_text(self._machine, path, limit)

    def path_state(self, path: str) -> FileState | None:
        return state.path_state(self._machine, path)

    def listing(self, path: str, limit: int = 10_000) -> list[str]:
        """Names in a directory of the disk, sorted (empty if it is not one); at most `limit`."""
        return state.listing(self._machine, path, limit)

    async def snapshot(self, root: str = MACHINE_HOME) -> Snapshot:
        """Every path under `root` with its state, read in a worker thread (a disk the agent
        filled must not stall other samples), within the default Budget."""
        return await asyncio.to_thread(state.snapshot, self._machine, root)

    async def capture(self) -> MachineState:
        """Files with hashes, processes and listening sockets, for diffs and detectors; what
        could not be read is in its `gaps`."""
        return await asyncio.to_thread(state.capture, self._machine)

    def journal(self, roots: list[str], wanted: Callable[[str], bool],
                keep: Callable[[str], bool] = lambda _: False) -> Journal:  # fmt: skip
        """A journal of every version of the wanted files under `roots`, written within a
        call as well as between calls (see journal.Journal); the caller starts and closes it."""
        return Journal(self._machine, roots, wanted, keep)

    def listeners(self) -> dict[int, int]:
        """Listening TCP ports -> the host pid of the machine process that holds each."""
        return state.listeners(self._machine)

    def endpoints(self) -> dict[tuple[str, int], int]:
        """Listening (address, port) -> the host pid that holds it."""
        return state.endpoints(self._machine)

    @property
    def identity(self) -> int:
        """Tells this machine apart from any other running now (its init's host pid)."""
        return self._machine.init_host_pid or id(self._machine)

    def tcp_counters(self) -> tuple[int, ...]:
        """Cheap counters that change when TCP sockets come and go (state.tcp_counters)."""
        return state.tcp_counters(self._machine)

    def signal(self, host_pids: list[int], sig: int = signal.SIGKILL) -> None:
        """Send `sig` to these processes of the machine (host pids; any other pid is left
        alone)."""
        mine = {p.host_pid for p in self.processes()}
        for pid in host_pids:
            if pid in mine:
                try:
                    os.kill(pid, sig)
                except OSError:
                    pass  # already gone

    def processes(self) -> list[ProcessState]:
        return state.processes(self._machine)


ROOT_MODE, UNPRIVILEGED_MODE = 0o111, 0o555  # plant_executable's modes


def _plant(machine: Machine, path: str, data: bytes) -> None:
    where = machine.host_path(path)
    if where is None:
        raise ValueError(f"{path} is not on the machine's disk")
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    folder = os.open(where.parent, flags)  # the agent's folder: never through its links
    try:
        create = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(where.name, create, 0o600, dir_fd=folder)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            root = os.geteuid() == 0
            if root:
                os.fchown(fd, 0, 0)
            os.fchmod(fd, ROOT_MODE if root else UNPRIVILEGED_MODE)
        finally:
            os.close(fd)
    finally:
        os.close(folder)
