"""Resource limits for a machine: cgroups where we may create them, rlimits always.

cgroups (v1 or v2) bound the whole machine: total memory and number of processes.
rlimits bound each process: file size and CPU time, and, when no cgroup could be
made (an unprivileged harness), address space and process count as a fallback.
"""

from __future__ import annotations

import os
import resource
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

CGROUP_ROOT = Path("/sys/fs/cgroup")


class Limits(BaseModel, frozen=True):
    """Per-machine limits. Defaults are sized for a shell agent, not for builds."""

    memory_mb: int = 512
    processes: int = 256
    file_size_mb: int = 64
    disk_mb: int = 256
    cpu_seconds: int = 600
    open_files: int = 1024


@dataclass
class CgroupSet:
    """The cgroup directories one machine's processes are placed in."""

    paths: list[Path] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return bool(self.paths)

    def join(self) -> None:
        """Move the calling process (a child before exec) into every cgroup."""
        pid = str(os.getpid()).encode()
        for p in self.paths:
            fd = os.open(p / "cgroup.procs", os.O_WRONLY)
            try:
                os.write(fd, pid)
            finally:
                os.close(fd)

    def remove(self) -> None:
        for p in self.paths:
            try:
                p.rmdir()
            except OSError:
                # processes still exiting: kill what is left, then retry once
                _kill_all(p)
                try:
                    p.rmdir()
                except OSError:
                    pass


def _kill_all(cgroup: Path) -> None:
    try:
        pids = (cgroup / "cgroup.procs").read_text().split()
    except OSError:
        return
    for pid in pids:
        try:
            os.kill(int(pid), 9)
        except (ProcessLookupError, ValueError, PermissionError):
            pass


def _own_cgroups() -> dict[str, str]:
    """Controller -> this process's cgroup path, from /proc/self/cgroup."""
    result: dict[str, str] = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for c in controllers.split(",") if controllers else ["unified"]:
            result[c] = path
    return result


def make_cgroups(name: str, limits: Limits) -> CgroupSet:
    """Create cgroups for one machine; an empty set when not permitted here."""
    if os.geteuid() != 0:
        return CgroupSet()
    own = _own_cgroups()
    created = CgroupSet()
    try:
        if (CGROUP_ROOT / "cgroup.controllers").exists():  # pure v2
            d = CGROUP_ROOT / own.get("unified", "/").lstrip("/") / name
            d.mkdir()
            created.paths.append(d)
            (d / "pids.max").write_text(str(limits.processes))
            (d / "memory.max").write_text(str(limits.memory_mb * 2**20))
            if (d / "memory.swap.max").exists():
                (d / "memory.swap.max").write_text("0")
            return created
        for controller in ("pids", "memory"):
            base = CGROUP_ROOT / controller
            if not base.is_dir():
                raise OSError(f"no {controller} cgroup")
            d = base / own.get(controller, "/").lstrip("/") / name
            d.mkdir()
            created.paths.append(d)
        (created.paths[0] / "pids.max").write_text(str(limits.processes))
        mem = created.paths[1]
        (mem / "memory.limit_in_bytes").write_text(str(limits.memory_mb * 2**20))
        if (mem / "memory.memsw.limit_in_bytes").exists():
            (mem / "memory.memsw.limit_in_bytes").write_text(str(limits.memory_mb * 2**20))
        return created
    except OSError:
        created.remove()
        return CgroupSet()


def apply_rlimits(limits: Limits, cgroups_active: bool) -> None:
    """Set the per-process limits in a child before exec (inherited by the machine)."""
    mb = 2**20
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_size_mb * mb,) * 2)
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds,) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files,) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if not cgroups_active:
        # Without a cgroup: per-process address space and a process count for our uid.
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * mb,) * 2)
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes,) * 2)


def mount_disk(path: Path, limits: Limits) -> bool:
    """Give the machine a size-limited tmpfs as its disk (root only); False if not possible."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    rc = os.spawnvp(
        os.P_WAIT,
        "mount",
        ["mount", "-t", "tmpfs", "-o", f"size={limits.disk_mb}m,mode=0711", "tmpfs", str(path)],
    )
    return rc == 0


def unmount_disk(path: Path) -> None:
    os.spawnvp(os.P_WAIT, "umount", ["umount", "-l", str(path)])
