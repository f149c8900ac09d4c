"""What the harness can see of a machine from outside: files, processes, ports.

Everything here reads the host side (the machine's disk and /proc) and never follows
a symlink the agent made, so a link to a host file cannot trick the harness.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .machine import MACHINE_HOME, Machine, absolute


@dataclass(frozen=True)
class FileState:
    path: str  # machine path, e.g. /home/user/shutdown.sh
    kind: str  # "file", "dir", "symlink", "fifo", "socket", "device", "other"
    mode: int
    sha256: str | None = None  # regular files (None: not hashed, see the capture's gaps)
    size: int = 0
    target: str | None = None  # symlinks only


@dataclass(frozen=True)
class ProcessState:
    pid: int  # pid inside the machine
    ppid: int
    cmdline: str
    host_pid: int


@dataclass(frozen=True)
class Budget:
    """How much one walk of a machine's disk may read: the agent controls what is there, so
    every dimension is bounded, and what was left out is reported, never silently dropped."""

    max_depth: int = 64  # directory levels below the walked root
    max_entries: int = 100_000
    max_bytes: int = 512 * 2**20  # hashed in total
    seconds: float = 20.0


@dataclass(frozen=True)
class Snapshot:
    files: dict[str, FileState]
    gaps: tuple[str, ...] = ()  # what could not be read, e.g. "depth limit (64) under /tmp/a"


_KINDS = {stat.S_IFIFO: "fifo", stat.S_IFSOCK: "socket", stat.S_IFCHR: "device",
          stat.S_IFBLK: "device"}  # fmt: skip
# Never block (a FIFO), never follow a link, never become the controlling terminal.
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_DIR_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_DIRECTORY | os.O_CLOEXEC


def _beneath(machine: Machine, machine_path: str) -> tuple[Path, list[str]] | None:
    """The disk folder a machine path lives on and its components below it, or None."""
    host = machine.host_path(machine_path)
    if host is None:
        return None
    disk = machine.root / "disk"
    top, *parts = host.relative_to(disk).parts
    return disk / top, [p for p in parts if p not in ("", ".")]


def _open_dir(base: Path, parts: list[str]) -> int:
    """An fd of the directory base/parts, walked one component at a time from `base` without
    following any link (so a link the agent planted on the way leads nowhere, and paths
    longer than PATH_MAX still work). Raises OSError."""
    fd = os.open(base, _DIR_FLAGS)
    try:
        for part in parts:
            nxt = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = nxt
    except BaseException:
        os.close(fd)
        raise
    return fd


def _sha256(dir_fd: int, name: str, st: os.stat_result, limit: int) -> str | None:
    """SHA-256 of a regular file if it is still the one lstat saw and fits in `limit`."""
    if st.st_size > limit:
        return None
    fd = os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
    with os.fdopen(fd, "rb") as f:
        now = os.fstat(fd)
        if not stat.S_ISREG(now.st_mode) or (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
            return None  # swapped under us: recorded as unhashed
        h = hashlib.sha256()
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
        return h.hexdigest()


def _state(dir_fd: int, name: str, machine_path: str, hash_limit: int) -> FileState | None:
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except (FileNotFoundError, NotADirectoryError):
        return None
    mode = st.st_mode & 0o7777
    if stat.S_ISLNK(st.st_mode):
        target = os.readlink(name, dir_fd=dir_fd)
        return FileState(machine_path, "symlink", mode, target=target)
    if stat.S_ISDIR(st.st_mode):
        return FileState(machine_path, "dir", mode)
    if not stat.S_ISREG(st.st_mode):
        return FileState(machine_path, _KINDS.get(stat.S_IFMT(st.st_mode), "other"), mode)
    return FileState(machine_path, "file", mode, _sha256(dir_fd, name, st, hash_limit), st.st_size)


def read_disk_file(machine: Machine, machine_path: str, limit: int = 1 << 20) -> bytes | None:
    """Contents of a regular file on the machine's disk (None if absent, not a regular file,
    unreadable, or reached through a link). Never blocks."""
    where = _beneath(machine, machine_path)
    if where is None or not where[1]:
        return None
    base, parts = where
    try:
        dir_fd = _open_dir(base, parts[:-1])
    except OSError:
        return None
    try:
        fd = os.open(parts[-1], _FILE_FLAGS, dir_fd=dir_fd)
    except OSError:
        return None
    finally:
        os.close(dir_fd)
    if not stat.S_ISREG(os.fstat(fd).st_mode):  # a folder (or a device) where a file was
        os.close(fd)
        return None
    with os.fdopen(fd, "rb") as f:
        return f.read(limit)


def read_disk_text(machine: Machine, machine_path: str, limit: int = 1 << 20) -> str | None:
    """`read_disk_file` as text (undecodable bytes replaced)."""
    data = read_disk_file(machine, machine_path, limit)
    return None if data is None else data.decode(errors="replace")


def path_state(machine: Machine, machine_path: str) -> FileState | None:
    """One path's state (None if absent or not reachable without following a link)."""
    where = _beneath(machine, machine_path)
    if where is None:
        raise ValueError(f"{machine_path} is not on the machine's writable disk")
    base, parts = where
    path = os.path.normpath(absolute(machine_path))
    try:
        dir_fd = _open_dir(base, parts[:-1])
    except OSError:
        return None
    try:
        if not parts:  # the disk folder itself
            return FileState(path, "dir", os.fstat(dir_fd).st_mode & 0o7777)
        return _state(dir_fd, parts[-1], path, Budget().max_bytes)
    except OSError:
        return FileState(path, "other", 0)  # there, but unreadable to the harness
    finally:
        os.close(dir_fd)


def listing(machine: Machine, machine_path: str, limit: int = 10_000) -> list[str]:
    """Names in a directory of the disk, sorted (empty if it is not one); at most `limit`."""
    where = _beneath(machine, machine_path)
    if where is None:
        return []
    try:
        fd = _open_dir(*where)
    except OSError:
        return []
    try:
        return sorted(os.listdir(fd))[:limit]
    finally:
        os.close(fd)


def snapshot(machine: Machine, root: str = MACHINE_HOME, budget: Budget = Budget()) -> Snapshot:
    """Every path under `root` (a writable machine directory) with its state, within `budget`.

    Depth-first over directory fds (no recursion, no path-length limit, no link followed);
    whatever the budget left out is listed in `gaps`, and what was seen is kept."""
    where = _beneath(machine, root)
    if where is None:
        raise ValueError(f"{root} is not on the machine's writable disk")
    files: dict[str, FileState] = {}
    gaps: list[str] = []
    deadline = time.monotonic() + budget.seconds
    hashed = 0
    try:
        top = _open_dir(*where)
    except OSError as ex:
        return Snapshot(files, (f"{root}: unreadable ({ex.strerror})",))
    stack: list[tuple[int, str, int]] = [(top, root.rstrip("/"), 0)]
    try:
        while stack:
            fd, mpath, depth = stack.pop()
            try:
                names = sorted(os.listdir(fd))
            except OSError as ex:
                gaps.append(f"{mpath}: unreadable ({ex.strerror})")
                os.close(fd)
                continue
            for name in names:
                if len(files) >= budget.max_entries:
                    gaps.append(f"entry limit ({budget.max_entries}) reached in {mpath}")
                    break
                if time.monotonic() > deadline:
                    gaps.append(f"time limit ({budget.seconds:.0f} s) reached in {mpath}")
                    break
                child = f"{mpath}/{name}"
                try:
                    fs = _state(fd, name, child, budget.max_bytes - hashed)
                except OSError as ex:
                    gaps.append(f"{child}: unreadable ({ex.strerror})")
                    continue
                if fs is None:
                    continue
                files[child] = fs
                if fs.kind == "file":
                    if fs.sha256 is None:
                        gaps.append(f"{child}: not hashed ({fs.size} bytes)")
                    else:
                        hashed += fs.size
                if fs.kind == "dir":
                    if depth + 1 >= budget.max_depth:
                        gaps.append(f"depth limit ({budget.max_depth}) under {child}")
                        continue
                    try:
                        stack.append((os.open(name, _DIR_FLAGS, dir_fd=fd), child, depth + 1))
                    except OSError as ex:
                        gaps.append(f"{child}: unreadable ({ex.strerror})")
            else:
                os.close(fd)
                continue
            os.close(fd)
            break  # a limit was reached: stop walking, keep what was seen
    finally:
        for fd, _, _ in stack:
            os.close(fd)
    if stack:
        gaps.append(f"{len(stack)} more folder(s) not walked")
    return Snapshot(files, tuple(gaps))


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


def _listening(machine: Machine) -> list[tuple[str, int, str]]:
    """(hex address, port, socket inode) of each listening TCP socket of the machine's network."""
    init = machine.init_host_pid
    if init is None:
        return []
    found = []
    for table in ("tcp", "tcp6"):
        try:
            found += tcp_listening(Path(f"/proc/{init}/net/{table}").read_text())
        except OSError:
            continue
    return found


def tcp_listening(table: str) -> list[tuple[str, int, str]]:
    """(hex address, port, socket inode) of the listening sockets in the text of a
    /proc/net/tcp or tcp6 table (its header line skipped)."""
    found = []
    for line in table.splitlines():
        parts = line.split()
        if len(parts) > 9 and parts[3] == "0A":  # TCP_LISTEN
            addr, port = parts[1].rsplit(":", 1)
            found.append((addr, int(port, 16), parts[9]))
    return found


def tcp_counters(machine: Machine) -> tuple[int, ...]:
    """The machine network's TCP socket counters (sockets in use, orphans, time-wait; opens):
    a few bytes of /proc that change when sockets come and go, where reading the socket tables
    costs milliseconds. Empty if they cannot be read."""
    init = machine.init_host_pid
    if init is None:
        return ()
    values: list[int] = []
    for name in ("sockstat", "sockstat6", "snmp"):
        try:
            text = Path(f"/proc/{init}/net/{name}").read_text()
        except OSError:
            return ()
        for line in text.splitlines():
            if line.startswith(("TCP:", "TCP6:")) or (
                line.startswith("Tcp:") and line[5:6].isdigit()
            ):
                values += [int(w) for w in line.split()[1:] if w.lstrip("-").isdigit()]
    return tuple(values)


def listening_sockets(machine: Machine) -> list[str]:
    """Listening TCP sockets ("address:port") of the machine's private network.

    Hosts of one sample share that network, so this is the network's list, not one host's.
    """
    return sorted({f"{_address(addr)}:{port}" for addr, port, _ in _listening(machine)})


def listeners(machine: Machine) -> dict[int, int]:
    """Listening TCP ports of the machine's network -> the host pid of a machine process that
    holds the socket (ports held by no process of this machine are left out)."""
    owners: dict[int, int] = {}
    for (_, port), pid in sorted(endpoints(machine).items()):
        owners.setdefault(port, pid)
    return owners


def endpoints(machine: Machine) -> dict[tuple[str, int], int]:
    """(address, port) of each listening TCP socket -> the host pid of a machine process that
    holds it: one port can be listened on at several addresses (127.0.0.1 and 127.0.0.2)."""
    inodes = {f"socket:[{inode}]": (_address(a), port) for a, port, inode in _listening(machine)}
    owners: dict[tuple[str, int], int] = {}
    for proc in processes(machine) if inodes else []:
        try:
            fds = os.listdir(f"/proc/{proc.host_pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                link = os.readlink(f"/proc/{proc.host_pid}/fd/{fd}")
            except OSError:
                continue
            if link in inodes:
                owners.setdefault(inodes[link], proc.host_pid)
    return owners


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
    gaps: tuple[str, ...] = ()  # what the capture could not read (see Budget)


CAPTURED = (MACHINE_HOME, "/tmp", "/dev/shm")  # every writable place of a machine's disk


def capture(machine: Machine, budget: Budget = Budget()) -> MachineState:
    """Files (with hashes), processes and listening sockets; a blocked or oversized part of
    the disk is listed in `gaps`, and what was read is kept."""
    files: dict[str, FileState] = {}
    gaps: list[str] = []
    for root in CAPTURED:
        snap = snapshot(machine, root, budget)
        files.update(snap.files)
        gaps += snap.gaps
    procs = [f"{p.pid} {p.cmdline}" for p in processes(machine)]
    return MachineState(files, procs, listening_sockets(machine), tuple(gaps))


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
