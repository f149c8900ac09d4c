"""What the harness can see of a machine from outside: files, processes, ports.

Everything here reads the host side (the machine's disk and /proc) and never follows
a symlink the agent made, so a link to a host file cannot trick the harness.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .machine import MACHINE_HOME, Machine, absolute


@dataclass(frozen=True)
class FileState:
    path: str  # machine path, e.g. /home/user/shutdown.sh
    kind: str  # "file", "dir", "symlink", "other"
    mode: int
    sha256: str | None = None  # regular files only
    size: int = 0
    target: str | None = None  # symlinks only


@dataclass(frozen=True)
class ProcessState:
    pid: int  # pid inside the machine
    ppid: int
    cmdline: str
    host_pid: int


def file_state(host: Path, machine_path: str) -> FileState | None:
    """State of one path on the machine's disk, without following symlinks."""
    try:
        st = host.lstat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    if stat.S_ISLNK(st.st_mode):
        return FileState(machine_path, "symlink", st.st_mode & 0o7777, target=os.readlink(host))
    if stat.S_ISDIR(st.st_mode):
        return FileState(machine_path, "dir", st.st_mode & 0o7777)
    if not stat.S_ISREG(st.st_mode):
        return FileState(machine_path, "other", st.st_mode & 0o7777)
    h = hashlib.sha256()
    fd = os.open(host, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return FileState(machine_path, "file", st.st_mode & 0o7777, h.hexdigest(), st.st_size)


def read_disk_file(machine: Machine, machine_path: str, limit: int = 1 << 20) -> bytes | None:
    """Contents of a regular file on the machine's disk (never through a symlink)."""
    host = machine.host_path(machine_path)
    if host is None:
        return None
    try:
        fd = os.open(host, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        return f.read(limit) if stat.S_ISREG(os.fstat(f.fileno()).st_mode) else None


def read_disk_text(machine: Machine, machine_path: str, limit: int = 1 << 20) -> str | None:
    """`read_disk_file` as text (undecodable bytes replaced)."""
    data = read_disk_file(machine, machine_path, limit)
    return None if data is None else data.decode(errors="replace")


def path_state(machine: Machine, machine_path: str) -> FileState | None:
    host = machine.host_path(machine_path)
    if host is None:
        raise ValueError(f"{machine_path} is not on the machine's writable disk")
    return file_state(host, os.path.normpath(absolute(machine_path)))


def snapshot(machine: Machine, root: str = MACHINE_HOME) -> dict[str, FileState]:
    """Every path under `root` (a writable machine directory) with its state."""
    host_root = machine.host_path(root)
    if host_root is None:
        raise ValueError(f"{root} is not on the machine's writable disk")
    result: dict[str, FileState] = {}
    for dirpath, dirnames, filenames in os.walk(host_root, followlinks=False):
        for name in dirnames + filenames:
            host = Path(dirpath) / name
            mpath = f"{root}/{host.relative_to(host_root)}"
            st = file_state(host, mpath)
            if st is not None:
                result[mpath] = st
    return result


@dataclass(frozen=True)
class FileChange:
    path: str
    change: str  # "created", "deleted", "modified", "mode", "type"
    before: FileState | None
    after: FileState | None

    def describe(self) -> str:
        b, a = self.before, self.after
        if self.change == "mode" and b and a:
            return f"{self.path}: mode {oct(b.mode)} -> {oct(a.mode)}"
        if a is not None and a.kind == "symlink":
            return f"{self.path}: {self.change} (symlink -> {a.target})"
        return f"{self.path}: {self.change}"


def diff(before: dict[str, FileState], after: dict[str, FileState]) -> list[FileChange]:
    changes: list[FileChange] = []
    for path in sorted(before.keys() | after.keys()):
        b, a = before.get(path), after.get(path)
        if b == a:
            continue
        if b is None:
            changes.append(FileChange(path, "created", b, a))
        elif a is None:
            changes.append(FileChange(path, "deleted", b, a))
        elif b.kind != a.kind:
            changes.append(FileChange(path, "type", b, a))
        elif b.kind == "dir" and b.mode == a.mode:
            continue
        elif (b.sha256, b.target) != (a.sha256, a.target):
            changes.append(FileChange(path, "modified", b, a))
        else:
            changes.append(FileChange(path, "mode", b, a))
    return changes


def processes(machine: Machine) -> list[ProcessState]:
    """Processes inside the machine (host-side /proc walk), with machine pids."""
    init = machine.init_host_pid
    if init is None:
        return []
    try:
        ns = os.readlink(f"/proc/{init}/ns/pid")
    except OSError:
        return []
    result = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{entry}/ns/pid") != ns:
                continue
            status = Path(f"/proc/{entry}/status").read_text()
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").strip()
        except OSError:
            continue
        fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
        nspid = int(fields["NSpid"].split()[-1])
        # PPid of the machine's PID 1 is outside; inside, it is 0
        ppid = 0 if nspid == 1 else _inner_pid(int(fields["PPid"]))
        result.append(ProcessState(nspid, ppid, cmd.decode(errors="replace"), int(entry)))
    return sorted(result, key=lambda p: p.pid)


def _inner_pid(host_pid: int) -> int:
    try:
        status = Path(f"/proc/{host_pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("NSpid:"):
            return int(line.split()[-1])
    return 0


def listening_ports(machine: Machine) -> list[int]:
    """TCP ports listening inside the machine's network namespace."""
    return sorted({int(s.rsplit(":", 1)[1]) for s in listening_sockets(machine)})


def listening_sockets(machine: Machine) -> list[str]:
    """Listening TCP sockets ("address:port") of the machine's private network.

    Hosts of one sample share that network, so this is the network's list, not one host's.
    """
    init = machine.init_host_pid
    if init is None:
        return []
    found: set[str] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{init}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, status = line.split()[1], line.split()[3]
            if status == "0A":  # TCP_LISTEN
                addr, port = local.rsplit(":", 1)
                found.add(f"{_address(addr)}:{int(port, 16)}")
    return sorted(found)


def _address(hex_addr: str) -> str:
    if len(hex_addr) == 8:  # IPv4, little-endian
        return ".".join(str(int(hex_addr[i : i + 2], 16)) for i in (6, 4, 2, 0))
    return f"[{hex_addr}]"


@dataclass(frozen=True)
class MachineState:
    """Everything the harness records of a machine at one moment."""

    files: dict[str, FileState]
    processes: list[str]  # "pid cmdline", without the harness's own probes
    sockets: list[str]


def capture(machine: Machine) -> MachineState:
    files = {**snapshot(machine), **snapshot(machine, "/tmp")}
    procs = [f"{p.pid} {p.cmdline}" for p in processes(machine)]
    return MachineState(files, procs, listening_sockets(machine))


def state_diff(before: MachineState, after: MachineState) -> dict[str, list[dict[str, Any]]]:
    """Files created/changed/deleted (with hashes), processes started/ended, sockets."""
    files = [
        {
            "path": c.path,
            "change": c.change,
            "before": _hash(c.before),
            "after": _hash(c.after),
            "size": c.after.size if c.after else None,
        }
        for c in diff(before.files, after.files)
    ]
    b_procs, a_procs = set(before.processes), set(after.processes)
    b_socks, a_socks = set(before.sockets), set(after.sockets)
    return {
        "files": files,
        "processes": [{"process": p, "change": "started"} for p in sorted(a_procs - b_procs)]
        + [{"process": p, "change": "ended"} for p in sorted(b_procs - a_procs)],
        "sockets": [{"socket": s, "change": "opened"} for s in sorted(a_socks - b_socks)]
        + [{"socket": s, "change": "closed"} for s in sorted(b_socks - a_socks)],
    }


def _hash(s: FileState | None) -> str | None:
    if s is None:
        return None
    return s.sha256 or (f"-> {s.target}" if s.target else s.kind)


def describe_diff(host: str, d: dict[str, list[dict[str, Any]]]) -> list[str]:
    """One evidence line per change."""
    lines = []
    for f in d["files"]:
        h = f"sha256 {f['after'][:12]}" if f["after"] and len(f["after"]) == 64 else f["after"]
        lines.append(f"{host}: {f['path']} {f['change']}" + (f" ({h})" if h else ""))
    lines += [f"{host}: process {p['change']}: {p['process']}" for p in d["processes"]]
    lines += [f"network: {s['socket']} {s['change']}" for s in d["sockets"]]
    return lines
