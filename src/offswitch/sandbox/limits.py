"""Resource limits for a machine: cgroups where we may create them, rlimits always.

Each machine gets, for every cgroup controller in use, a directory with two children:

    offswitch-m-<id>/          the whole machine's CPU quota (`Limits.cpus`)
      init/                    PID 1 and bwrap: a small fixed reserve of their own
      agent/                   every command init starts: the user's `Limits`

Siblings, so nothing the agent does inside its own memory or process limit (an OOM, a fork
bomb, thousands of tmpfs files) can kill or starve the init that serves the harness. Init
places each command it starts in `agent/` through `cgroup.procs` descriptors the harness
opens for it: the machine has no /sys/fs/cgroup, so the agent cannot move itself back.

rlimits bound each process: file size, CPU time and open files for the agent's commands,
and, when no cgroup could be made (an unprivileged harness), address space and process count
as a partial fallback (see `enforcement`).
"""

from __future__ import annotations

import ctypes
import os
import resource
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

CGROUP_ROOT = Path("/sys/fs/cgroup")
CPU_PERIOD_US = 100_000

# init's own reserve, apart from the agent's Limits. Its memory: python (~15 MiB) plus at
# most INIT_MAX_REQUESTS requests served at once, each keeping at most two output tails of
# INIT_OUTPUT_CAP_MB; payloads stream in 64 KiB pieces, pipes hold 64 KiB each.
INIT_MAX_REQUESTS = 8
INIT_OUTPUT_CAP_MB = 10
INIT_MEMORY_MB = 48 + INIT_MAX_REQUESTS * 2 * INIT_OUTPUT_CAP_MB
# Its tasks: the main thread, one thread per request, bwrap, and children for the moment
# between their fork and their move into agent/.
INIT_PIDS = 32
INIT_OPEN_FILES = 1024  # listener, requests, their pipes, pipes left to background commands
INIT_CPU_SHARES = 4096  # v1 cpu.shares (the agent has the default 1024): init answers first
INIT_CPU_WEIGHT = 400  # the same for v2's cpu.weight (default 100)


class Limits(BaseModel, frozen=True):
    """Per-machine limits. Defaults are sized for a shell agent, not for builds."""

    memory_mb: int = 512
    processes: int = 256
    file_size_mb: int = 64
    disk_mb: int = 256  # /home/user, /tmp and /dev/shm together
    cpu_seconds: int = 600
    open_files: int = 1024
    cpus: float = 1.0  # CPU time of the whole machine, in cores


@dataclass
class CgroupSet:
    """One machine's cgroup directories, one entry per controller in each list."""

    machine: list[Path] = field(default_factory=list)
    init: list[Path] = field(default_factory=list)
    agent: list[Path] = field(default_factory=list)
    cpu_limited: bool = False
    memory_init: Path | None = None  # init's memory cgroup, for its OOM-kill count
    removed_oom_kills: int | None = None  # that count when the cgroups were removed

    @property
    def active(self) -> bool:
        return bool(self.agent)

    def join_init(self) -> None:
        """Move the calling process (bwrap, in the child before exec) into init's cgroups."""
        pid = str(os.getpid()).encode()
        for p in self.init:
            fd = os.open(p / "cgroup.procs", os.O_WRONLY)
            try:
                os.write(fd, pid)
            finally:
                os.close(fd)

    def open_agent_procs(self) -> list[int]:
        """Write descriptors for agent/cgroup.procs, close-on-exec, to hand to init."""
        fds: list[int] = []
        try:
            for p in self.agent:
                fds.append(os.open(p / "cgroup.procs", os.O_WRONLY | os.O_CLOEXEC))
        except OSError:
            for fd in fds:
                os.close(fd)
            raise
        return fds

    def init_oom_kills(self) -> int:
        """How many of init's processes the kernel's OOM killer has killed (0 if unknown)."""
        if self.removed_oom_kills is not None:
            return self.removed_oom_kills
        if self.memory_init is None:
            return 0
        for name in ("memory.events", "memory.oom_control"):  # v2, v1
            try:
                text = (self.memory_init / name).read_text()
            except OSError:
                continue
            for line in text.splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        return 0

    def remove(self) -> None:
        if self.removed_oom_kills is None:
            self.removed_oom_kills = self.init_oom_kills()  # how the machine ended, kept
        # children before their parent: a cgroup with children cannot be removed
        for p in self.agent + self.init + self.machine:
            _remove(p)


def _remove(cgroup: Path) -> None:
    for attempt in range(50):
        try:
            cgroup.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            if attempt == 0:
                _kill_all(cgroup)  # processes still there: kill what is left
            time.sleep(0.01)  # and give the kernel a moment to let them go


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


def _cpu_quota(limits: Limits) -> int:
    return max(1000, int(limits.cpus * CPU_PERIOD_US))  # the kernel's minimum is 1 ms


def make_cgroups(name: str, limits: Limits) -> CgroupSet:
    """Create one machine's cgroups; an empty set when not permitted here."""
    if os.geteuid() != 0:
        return CgroupSet()
    created = CgroupSet()
    try:
        if (CGROUP_ROOT / "cgroup.controllers").exists():
            _make_v2(created, name, limits)
        else:
            _make_v1(created, name, limits)
    except OSError:
        created.remove()
        return CgroupSet()
    return created


def _make_v2(created: CgroupSet, name: str, limits: Limits) -> None:
    own = _own_cgroups().get("unified", "/").lstrip("/")
    machine = CGROUP_ROOT / own / name
    machine.mkdir()
    created.machine.append(machine)
    available = set((machine / "cgroup.controllers").read_text().split())
    if not {"memory", "pids"} <= available:
        raise OSError("the memory and pids controllers are not delegated here")
    wanted = ["memory", "pids"] + (["cpu"] if "cpu" in available else [])
    (machine / "cgroup.subtree_control").write_text(" ".join(f"+{c}" for c in wanted))
    if "cpu" in wanted:
        (machine / "cpu.max").write_text(f"{_cpu_quota(limits)} {CPU_PERIOD_US}")
        created.cpu_limited = True
    for part, memory_mb, pids in (
        ("init", INIT_MEMORY_MB, INIT_PIDS),
        ("agent", limits.memory_mb, limits.processes),
    ):
        d = machine / part
        d.mkdir()
        (created.init if part == "init" else created.agent).append(d)
        (d / "memory.max").write_text(str(memory_mb * 2**20))
        if (d / "memory.swap.max").exists():
            (d / "memory.swap.max").write_text("0")
        (d / "pids.max").write_text(str(pids))
    if "cpu" in wanted:
        (machine / "init" / "cpu.weight").write_text(str(INIT_CPU_WEIGHT))
    created.memory_init = machine / "init"


def _make_v1(created: CgroupSet, name: str, limits: Limits) -> None:
    own = _own_cgroups()
    dirs: dict[str, Path] = {}
    for controller in ("pids", "memory", "cpu"):
        base = CGROUP_ROOT / controller
        if not base.is_dir():
            if controller == "cpu":
                continue  # no CPU limit, but the rest still protects init
            raise OSError(f"no {controller} cgroup")
        d = base / own.get(controller, "/").lstrip("/") / name
        d.mkdir()
        created.machine.append(d)
        for part in ("init", "agent"):
            (d / part).mkdir()
            (created.init if part == "init" else created.agent).append(d / part)
        dirs[controller] = d
    pids, mem = dirs["pids"], dirs["memory"]
    (pids / "init" / "pids.max").write_text(str(INIT_PIDS))
    (pids / "agent" / "pids.max").write_text(str(limits.processes))
    for part, memory_mb in (("init", INIT_MEMORY_MB), ("agent", limits.memory_mb)):
        size = str(memory_mb * 2**20)
        (mem / part / "memory.limit_in_bytes").write_text(size)
        if (mem / part / "memory.memsw.limit_in_bytes").exists():  # no swapping past it
            (mem / part / "memory.memsw.limit_in_bytes").write_text(size)
    created.memory_init = mem / "init"
    cpu = dirs.get("cpu")
    if cpu is not None:
        try:
            (cpu / "cpu.cfs_period_us").write_text(str(CPU_PERIOD_US))
            (cpu / "cpu.cfs_quota_us").write_text(str(_cpu_quota(limits)))
            (cpu / "init" / "cpu.shares").write_text(str(INIT_CPU_SHARES))
            created.cpu_limited = True
        except OSError:
            pass  # a kernel without CFS bandwidth control: no CPU limit (enforcement says so)


def apply_init_rlimits(limits: Limits) -> None:
    """rlimits of bwrap and init (set in the child before exec).

    No CPU-time limit: init lives as long as the machine and works for the harness, so a
    CPU budget would let the agent end the machine by making it work. Its file-size limit is
    the agent's (it writes no files itself); its open-file limit is its own.
    """
    mb = 2**20
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_size_mb * mb,) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nofile = max(limits.open_files, INIT_OPEN_FILES)
    if hard != resource.RLIM_INFINITY:
        nofile = min(nofile, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))


def agent_rlimits(limits: Limits, cgroups_active: bool) -> list[tuple[int, int]]:
    """(resource, limit) pairs init sets on every command it starts (soft = hard)."""
    mb = 2**20
    result = [
        (resource.RLIMIT_FSIZE, limits.file_size_mb * mb),
        (resource.RLIMIT_CPU, limits.cpu_seconds),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_CORE, 0),
    ]
    if not cgroups_active:
        # Without a cgroup: per-process address space and a process count for the user.
        result += [
            (resource.RLIMIT_AS, limits.memory_mb * mb),
            (resource.RLIMIT_NPROC, limits.processes),
        ]
    return result


def enforcement(cgroups: CgroupSet, disk_mounted: bool) -> dict[str, str | None]:
    """How each `Limits` field is enforced for a machine set up like this (None: it is not)."""
    cg = cgroups.active
    return {
        "memory_mb": "cgroup: all the agent's processes together"
        if cg
        else "RLIMIT_AS: each process's address space only, not their total",
        "processes": "cgroup: the agent's processes"
        if cg
        else "RLIMIT_NPROC: processes of the machine's user",
        "cpus": "cgroup CPU quota: the whole machine" if cgroups.cpu_limited else None,
        "disk_mb": "size-limited tmpfs: /home/user, /tmp and /dev/shm together"
        if disk_mounted
        else None,
        "file_size_mb": "RLIMIT_FSIZE: each file",
        "cpu_seconds": "RLIMIT_CPU: each process",
        "open_files": "RLIMIT_NOFILE: each process",
    }


def unenforced(cgroups: CgroupSet, disk_mounted: bool) -> list[str]:
    """What `Limits` promises that a machine set up like this does not get, one phrase each
    (empty as root with cgroups and a sized disk)."""
    notes = {
        "cpus": "cpus (no CPU quota: a machine may use every core)",
        "disk_mb": "disk_mb (no size-limited disk: /home/user, /tmp and /dev/shm are host "
        "directories, RLIMIT_FSIZE bounds each file only)",
    }
    how = enforcement(cgroups, disk_mounted)
    missing = [notes[name] for name, way in how.items() if way is None]
    if not cgroups.active:
        missing += [
            "memory_mb as the machine's total (RLIMIT_AS bounds each process only)",
            "processes as the machine's count (RLIMIT_NPROC counts the machine user's)",
            "init's own cgroup (the agent's memory use can reach the machine's init)",
        ]
    return missing


def mount_disk(path: Path, limits: Limits) -> bool:
    """Give the machine a size-limited tmpfs as its disk (root only); False if not possible.

    Its inodes are limited too, one per KiB of disk: tmpfs counts only data against `size`,
    and each file, even empty, costs the agent's memory about a KiB, so files can cost at
    most about the disk's size again.
    """
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    inodes = max(1024, limits.disk_mb * 1024)
    options = f"size={limits.disk_mb}m,nr_inodes={inodes},mode=0711"
    rc = os.spawnvp(os.P_WAIT, "mount", ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)])
    return rc == 0


MNT_DETACH, UMOUNT_NOFOLLOW = 2, 8  # <sys/mount.h>


def unmount_disk(path: Path) -> None:
    """Unmount exactly `path` (lazily): a link there is not followed, nor is the path
    canonicalised as umount(8) would."""
    ctypes.CDLL(None, use_errno=True).umount2(str(path).encode(), MNT_DETACH | UMOUNT_NOFOLLOW)
