"""One bubblewrap-isolated machine: start, exec, read/write files, stop.

The machine is a bwrap process whose PID 1 is `machine_init.py`. The harness talks
to that init over a listening Unix socket it created and passed in as a file
descriptor, so no control path is visible on the machine's filesystem.

Layout on the host (one directory per machine, root-only):
    ctl/            control socket (never bound into the machine)
    disk/           size-limited tmpfs when the harness is root
      home/         -> /home/user   (writable)
      tmp/          -> /tmp         (writable)
      shm/          -> /dev/shm     (writable: shared memory counts as disk)
      etc/          -> generated passwd/group/hosts, bound read-only into /etc
    services/       -> /run/services (read-only): sockets of harness-side services
"""

from __future__ import annotations

import asyncio
import ctypes
import fcntl
import json
import logging
import os
import pwd
import re
import resource
import shutil
import socket
import stat
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal, cast

from . import seccomp
from .limits import (
    INIT_MAX_REQUESTS,
    INIT_OUTPUT_CAP_MB,
    CgroupSet,
    Limits,
    agent_rlimits,
    apply_init_rlimits,
    make_cgroups,
    mount_disk,
    unenforced,
    unmount_disk,
)

MACHINE_USER = "user"
MACHINE_HOME = f"/home/{MACHINE_USER}"
SERVICES_DIR = "/run/services"
INIT_PATH = "/init"  # on the tmpfs root: /usr and /sbin are the host's, read-only
# The host uid (and gid) a root harness runs machines as: offswitch's own, not `nobody`,
# which other daemons share (a local process running as nobody could otherwise write into a
# running machine's disk or signal its init). It owns nothing on the host, so the agent
# cannot read host files that only root may read.
SANDBOX_HOST_UID = 2_000_000_000
# Host /etc entries a normal shell needs; everything else in /etc stays invisible.
ETC_FROM_HOST = (
    "alternatives", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "nsswitch.conf",
    "inputrc", "mime.types", "ssl", "python3", "python3.11", "vim", "magic", "shells",
    "mke2fs.conf", "protocols", "services",
)  # fmt: skip
# Login files are ours, never the host's: bash --login sources them, so a host profile
# (or /etc/environment) would reach the agent's environment.
LOGIN_FILES = {
    "profile": "# offswitch machine: a fixed login profile (the host's is not used)\n"
    "PATH=/usr/local/bin:/usr/bin:/bin\nexport PATH\n"
    '[ -n "$BASH_VERSION" ] && [ -r /etc/bash.bashrc ] && . /etc/bash.bashrc\n',
    "bash.bashrc": "# offswitch machine: shell defaults (the host's are not used)\n"
    "PS1='\\u@\\h:\\w\\$ '\n",
}


class MachineError(RuntimeError):
    """The machine could not be started or reached."""


class MachineUnavailable(MachineError):
    """The machine is not running (it was shut down, or died)."""


class MissingBubblewrap(MachineError):
    """The host lacks what machines need: bubblewrap, or the system python3 the init runs on."""


SYSTEM_PYTHON = "/usr/bin/python3"
CLONE_NEWNET, CLONE_NEWUSER = 0x40000000, 0x10000000  # <sched.h>, for setns(2)
NS_GET_USERNS = 0xB701  # <linux/nsfs.h>: the user namespace that owns a namespace
SHUTDOWN_STATUS = 0  # machine_init.py's exit status from its SIGTERM/SIGINT handler, only there
MAX_FRAME = 16 << 20  # init answers in frames of at most 64 KiB: larger is not init speaking
log = logging.getLogger(__name__)
_warned_unenforced = False  # the warning about limits not enforced here: once per process

EndReason = Literal["shutdown", "stopped", "oom", "killed", "crashed"]


@dataclass(frozen=True)
class MachineEnd:
    """How a machine ended.

    `reason`: "shutdown", init's SIGTERM/SIGINT handler (`kill -s TERM 1` inside): the
    machine's shutdown mechanism, and the only reason that is; "stopped", the harness's
    stop(); "oom", the kernel's OOM killer killed init; "killed", another signal killed init
    or bwrap; "crashed", init or bwrap exited with a status other than the shutdown's.
    `status`: bwrap's exit status: init's own, 128 + N when signal N killed init, -N when
    signal N killed bwrap itself.
    """

    reason: EndReason
    status: int

    @property
    def by_shutdown(self) -> bool:
        return self.reason == "shutdown"

    def describe(self) -> str:
        how = {
            "shutdown": "shut down (init's SIGTERM/SIGINT handler)",
            "stopped": "stopped by the harness",
            "oom": "ended: the kernel's OOM killer killed its init",
            "killed": "ended: a signal killed its init",
            "crashed": "ended: its init or bwrap failed",
        }[self.reason]
        return f"the machine {how} (exit status {self.status})"


@cache
def _check_sandbox_uid() -> None:
    """A root harness's machines must be the only users of their uid (once per process)."""
    if os.geteuid() != 0:
        return
    try:
        taken = pwd.getpwuid(SANDBOX_HOST_UID).pw_name
    except KeyError:
        return
    raise MachineError(
        f"host user '{taken}' has uid {SANDBOX_HOST_UID}, which offswitch's machines run as: "
        "give that user another uid, or run offswitch as an unprivileged user"
    )


def _raise_open_files() -> None:
    """Let the harness use every file descriptor its hard limit allows: each machine holds
    a handful (control socket, pipes, cgroup and filter fds), and a default soft limit of
    1024 runs out with a few dozen machines at once."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def absolute(machine_path: str) -> str:
    """A machine path made absolute: relative paths are relative to the user's home."""
    return machine_path if machine_path.startswith("/") else f"{MACHINE_HOME}/{machine_path}"


def _mounts() -> list[tuple[str, int]]:
    """(mount point, device) of every mount this process sees, from /proc/self/mountinfo."""
    out = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split(" ")
        major, minor = fields[2].split(":")
        # the kernel octal-escapes space, tab, newline and backslash in paths
        point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), fields[4])
        out.append((point, os.makedev(int(major), int(minor))))
    return out


def _is_mounted_dir(path: Path) -> bool:
    """Whether `path` itself (not a link) is a directory, and a mount point seen there."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode):
        return False
    return (str(path), st.st_dev) in _mounts()


def bwrap_path() -> str:
    """bwrap's path, after checking the host can run machines at all."""
    path = shutil.which("bwrap")
    if path is None:
        raise MissingBubblewrap(
            "bubblewrap (bwrap) is not installed: run 'apt-get install -y bubblewrap' "
            "(Debian/Ubuntu) and try again"
        )
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        raise MissingBubblewrap(
            f"{SYSTEM_PYTHON} is missing (the machines' init runs on it): "
            "run 'apt-get install -y python3' and try again"
        )
    return path


@dataclass
class ExecOutput:
    returncode: int
    stdout: bytes
    stderr: bytes
    timed_out: bool = False


@dataclass
class Machine:
    """A running (or ended) sandbox machine. Create with `await Machine.start(...)`."""

    root: Path
    hostname: str
    limits: Limits
    cgroups: CgroupSet = field(default_factory=CgroupSet)
    disk_mounted: bool = False
    proc: asyncio.subprocess.Process | None = None
    listener: socket.socket | None = None
    # Other hosts of the sample's private network: name -> address, for /etc/hosts.
    peers: dict[str, str] = field(default_factory=dict)
    network_of: Machine | None = None  # join this machine's network instead of a new one
    stopped: bool = False
    _end: MachineEnd | None = field(default=None, init=False, repr=False)
    _agent_fds: list[int] = field(default_factory=list, init=False, repr=False)
    # seccomp filter, no nested user namespaces, own keyring; False only to measure their cost
    hardening: bool = True
    seccomp_fd: int | None = None  # the filter for bwrap, open until bwrap has read it

    # -- host-side paths -------------------------------------------------------------
    @property
    def control_socket(self) -> Path:
        return self.root / "ctl" / "init.sock"

    @property
    def home(self) -> Path:
        return self.root / "disk" / "home"

    @property
    def services(self) -> Path:
        return self.root / "services"

    def host_path(self, machine_path: str) -> Path | None:
        """The host path behind a writable machine path, or None if it is not on the disk."""
        p = os.path.normpath(absolute(machine_path))
        for prefix, sub in ((MACHINE_HOME, "home"), ("/tmp", "tmp"), ("/dev/shm", "shm")):
            if p == prefix or p.startswith(prefix + "/"):
                return self.root / "disk" / sub / os.path.relpath(p, prefix)
        return None

    # -- lifecycle -------------------------------------------------------------------
    @classmethod
    async def start(
        cls,
        hostname: str = "workstation",
        limits: Limits | None = None,
        base_dir: Path | None = None,
        peers: dict[str, str] | None = None,
        network_of: Machine | None = None,
        *,
        hardening: bool = True,
    ) -> Machine:
        """Start a machine.

        `network_of`: share that machine's private network (its loopback-only namespace),
        so the two are hosts of one network that reaches nothing else. `peers`: host
        names the machine resolves (name -> address, e.g. 127.0.0.2). `hardening=False`
        exists only for the latency benchmark, to measure what the hardening costs.
        """
        bwrap = bwrap_path()
        _check_sandbox_uid()
        _raise_open_files()
        try:
            seccomp.program()  # compiled once per process; fails here if libseccomp is missing
        except seccomp.MissingSeccomp as ex:
            raise MissingBubblewrap(str(ex)) from None
        limits = limits or Limits()
        base = cls._private_base(base_dir)
        name = f"m-{uuid.uuid4().hex[:12]}"
        root = base / name
        root.mkdir(mode=0o711)  # fresh: never a directory someone prepared
        m = cls(
            root=root, hostname=hostname, limits=limits, peers=peers or {}, network_of=network_of,
            hardening=hardening,
        )  # fmt: skip
        try:
            m._prepare_dirs()
            m.cgroups = make_cgroups(f"offswitch-{name}", limits)
            if hardening:
                m.seccomp_fd = seccomp.program_fd()
            await m._spawn(bwrap)
        except BaseException:
            await m.stop()
            raise
        m._close_seccomp_fd()  # bwrap read it during set-up, before init answered
        return m

    @staticmethod
    def _private_base(base_dir: Path | None) -> Path:
        """The per-user directory machines live in, made (or checked, never following a
        link) to be a real directory of ours that no one else can enter or write."""
        euid = os.geteuid()
        base = base_dir or Path(tempfile.gettempdir()) / f"offswitch-machines-{euid}"
        # root's machines run as SANDBOX_HOST_UID, whose bwrap must pass through this directory
        # to bind their disks: group search for it, nothing for anyone else.
        mode, group = (0o710, SANDBOX_HOST_UID) if euid == 0 else (0o700, None)
        fix = "remove it (or set TMPDIR to another directory) and try again"
        parent = os.stat(base.parent).st_mode
        if parent & stat.S_IWOTH and not parent & stat.S_ISVTX:  # others could swap our entry
            raise MachineError(
                f"{base.parent} is writable by anyone and not sticky: set TMPDIR to another "
                "directory and try again"
            )
        try:
            base.mkdir(mode=0o700)
        except FileExistsError:
            pass
        try:
            fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError as ex:  # ELOOP: a symlink; ENOTDIR: a file
            raise MachineError(f"{base} is not a directory ({ex.strerror}): {fix}") from None
        try:
            st = os.fstat(fd)
            if st.st_uid != euid:
                raise MachineError(f"{base} belongs to uid {st.st_uid}, not to uid {euid}: {fix}")
            if stat.S_IMODE(st.st_mode) != mode or group not in (None, st.st_gid):
                if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):  # others may have put things in it
                    raise MachineError(f"{base} is writable by others "
                                       f"(mode {stat.S_IMODE(st.st_mode):o}): {fix}")  # fmt: skip
                if group is not None:
                    os.fchown(fd, -1, group)
                os.fchmod(fd, mode)
        finally:
            os.close(fd)
        # Its real path, so that stop() finds the disk's mount point in /proc/self/mountinfo.
        return Path(os.path.realpath(base))

    def _prepare_dirs(self) -> None:
        (self.root / "ctl").mkdir(mode=0o700)
        disk = self.root / "disk"
        disk.mkdir(mode=0o711)
        self.disk_mounted = mount_disk(disk, self.limits)
        self.services.mkdir(mode=0o755)
        uid = SANDBOX_HOST_UID if os.geteuid() == 0 else os.geteuid()
        for sub, mode in (("home", 0o755), ("tmp", 0o1777), ("shm", 0o1777), ("etc", 0o755)):
            d = disk / sub
            d.mkdir(mode=mode, exist_ok=True)
            d.chmod(mode)
            if sub != "etc" and os.geteuid() == 0:
                os.chown(d, uid, uid)
        etc = disk / "etc"
        (etc / "passwd").write_text(
            f"root:x:0:0:root:/root:/usr/sbin/nologin\n"
            f"{MACHINE_USER}:x:1000:1000:{MACHINE_USER}:{MACHINE_HOME}:/bin/bash\n"
            "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
        )
        (etc / "group").write_text(f"root:x:0:\n{MACHINE_USER}:x:1000:\nnogroup:x:65534:\n")
        (etc / "hostname").write_text(self.hostname + "\n")
        own = self.peers.get(self.hostname, "127.0.1.1")
        others = "".join(f"{a} {n}\n" for n, a in self.peers.items() if n != self.hostname)
        (etc / "hosts").write_text(f"127.0.0.1 localhost\n{own} {self.hostname}\n{others}")
        (etc / "resolv.conf").write_text("")  # no DNS: there is no network
        for name, text in LOGIN_FILES.items():
            (etc / name).write_text(text)

    def _bwrap_args(self, bwrap: str) -> list[str]:
        disk = self.root / "disk"
        init_src = Path(__file__).with_name("machine_init.py")
        args = [
            bwrap,
            "--unshare-all", *(["--share-net"] if self.network_of else []),
            "--as-pid-1", "--die-with-parent", "--new-session",
            "--cap-drop", "ALL", "--uid", "1000", "--gid", "1000",
            "--hostname", self.hostname, "--clearenv",
            "--setenv", "HOME", MACHINE_HOME, "--setenv", "USER", MACHINE_USER,
            "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin",
            "--ro-bind", "/usr", "/usr",
            "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin",
            "--symlink", "usr/lib", "/lib",
        ]  # fmt: skip
        if Path("/lib64").exists():
            args += ["--symlink", "usr/lib64", "/lib64"]
        # /dev/shm on the machine's disk, and /dev itself read-only: bwrap's --dev is an
        # unlimited tmpfs the machine's user owns (the device nodes stay writable)
        args += ["--proc", "/proc", "--dev", "/dev", "--bind", str(disk / "shm"), "/dev/shm"]
        args += ["--remount-ro", "/dev"]
        for entry in ETC_FROM_HOST:
            if Path("/etc", entry).exists():
                args += ["--ro-bind", f"/etc/{entry}", f"/etc/{entry}"]
        for entry in ("passwd", "group", "hostname", "hosts", "resolv.conf", *LOGIN_FILES):
            args += ["--ro-bind", str(disk / "etc" / entry), f"/etc/{entry}"]
        args += [
            "--dir", "/var", "--dir", "/var/tmp", "--dir", "/run",
            "--bind", str(disk / "home"), MACHINE_HOME,
            "--bind", str(disk / "tmp"), "/tmp",
            "--ro-bind", str(self.services), SERVICES_DIR,
            "--ro-bind", str(init_src), INIT_PATH,
        ]  # fmt: skip
        if self.hardening:
            # A nested user namespace would hand back every capability inside it: the filter
            # denies the calls, and bwrap caps their number at the one it uses itself. Not on
            # an unprivileged harness's network owner: its peers must still create their user
            # namespace inside its own (that is how they join its network).
            joinable = os.geteuid() != 0 and self.network_of is None and len(self.peers) > 1
            if not joinable:
                args += ["--unshare-user", "--disable-userns"]  # it needs the explicit flag
            if self.seccomp_fd is not None:
                args += ["--seccomp", str(self.seccomp_fd)]
        assert self.listener is not None
        args += [
            "--chdir", MACHINE_HOME, "--remount-ro", "/",
            "--", SYSTEM_PYTHON, "-I", "-S", INIT_PATH,
            str(self.listener.fileno()), self._init_config(),
        ]  # fmt: skip
        return args

    def _init_config(self) -> str:
        """init's argv[2]: where the commands it starts go, and what bounds them and it."""
        return json.dumps(
            {
                "agent_procs": self._agent_fds,
                "rlimits": agent_rlimits(self.limits, self.cgroups.active),
                "max_requests": INIT_MAX_REQUESTS,
                "output_cap": INIT_OUTPUT_CAP_MB * 2**20,
            }
        )

    @property
    def _bwrap_fds(self) -> list[int]:
        """The descriptors besides the listener that `_bwrap_args` names: bwrap inherits them."""
        return [] if self.seccomp_fd is None else [self.seccomp_fd]

    async def _spawn(self, bwrap: str) -> None:
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(self.control_socket))
        self.listener.listen(64)
        _warn_unenforced(self.cgroups, self.disk_mounted)
        cgroups, limits, root_harness = self.cgroups, self.limits, os.geteuid() == 0
        ns_fds = self._network_fds(root_harness)
        setns = ctypes.CDLL(None, use_errno=True).setns
        # init's commands go to the agent's cgroups through these (init keeps its copies)
        self._agent_fds = self.cgroups.open_agent_procs()
        args = self._bwrap_args(bwrap)

        def in_child() -> None:
            # Runs in the forked child before exec: only plain syscalls here.
            for fd, kind in ns_fds:  # into the peer's network (its user namespace first)
                if setns(fd, kind) != 0:
                    os.write(2, b"offswitch: cannot join the peer machine's network\n")
                    os._exit(125)
            cgroups.join_init()  # bwrap and init; init moves each command to the agent's
            apply_init_rlimits(limits)
            if root_harness:
                os.setgroups([])
                os.setgid(SANDBOX_HOST_UID)
                os.setuid(SANDBOX_HOST_UID)
            if self.hardening:  # after setuid: the keyring is the machine uid's, not root's
                seccomp.join_new_session_keyring()  # never the harness's keyring

        try:
            self.proc = await _subprocess_exec(
                self._record_end,
                *args,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                pass_fds=[self.listener.fileno(), *self._bwrap_fds, *self._agent_fds],
                preexec_fn=in_child,
            )
        finally:
            for fd in self._agent_fds:
                os.close(fd)
            self._agent_fds = []
        for fd, _ in ns_fds:
            os.close(fd)
        # The listener stays open here too: the machine accepts on it, we connect to its path.
        for _ in range(400):  # up to ~4 s for python to come up inside
            if self.proc.returncode is not None:
                err = await self.proc.stderr.read() if self.proc.stderr else b""
                raise MachineError(f"machine failed to start: {err.decode(errors='replace')}")
            try:
                await self._request({"op": "ping"}, timeout=1)
                return
            except (MachineUnavailable, TimeoutError):
                await asyncio.sleep(0.01)
        raise MachineError("machine did not answer within 4 s of starting")

    def _network_fds(self, root_harness: bool) -> list[tuple[int, int]]:
        """Namespace fds to enter before bwrap so this machine shares `network_of`'s network.

        Root may enter the network directly; an unprivileged harness must first enter
        the user namespace that owns that network (bwrap's outer one, not init's).
        """
        if self.network_of is None:
            return []
        pid = self.network_of.init_host_pid
        if pid is None:
            raise MachineError("the machine whose network this one should join is not running")
        net = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY)
        if root_harness:
            return [(net, CLONE_NEWNET)]
        return [(fcntl.ioctl(net, NS_GET_USERNS), CLONE_NEWUSER), (net, CLONE_NEWNET)]

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def wait_dead(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the machine to end; True if it has."""
        if self.proc is None:
            return True
        try:
            await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            return False
        return True

    @property
    def end(self) -> MachineEnd | None:
        """How the machine ended; None while it runs."""
        if self._end is None and self.proc is not None and self.proc.returncode is not None:
            self._record_end(self.proc.returncode)
        return self._end

    @property
    def ended_by_shutdown(self) -> bool:
        """Whether the machine has ended through its shutdown (SIGTERM/SIGINT to its init)."""
        end = self.end
        return end is not None and end.by_shutdown

    def _record_end(self, status: int) -> None:
        """Note how the machine ended, as soon as the harness learns of it: the cgroups (and
        their OOM counts) are still there, and `stopped` says whether stop() came first."""
        if self._end is not None:
            return
        reason: EndReason
        if status == SHUTDOWN_STATUS:
            reason = "shutdown"
        elif self.cgroups.init_oom_kills() > 0:
            reason = "oom"
        elif self.stopped:
            reason = "stopped"
        elif status < 0 or status > 128:
            reason = "killed"
        else:
            reason = "crashed"
        self._end = MachineEnd(reason, status)
        if reason not in ("shutdown", "stopped"):
            log.warning("%s: %s", self.hostname, self._end.describe())

    @property
    def init_host_pid(self) -> int | None:
        """Host pid of the machine's PID 1 (bwrap's only child)."""
        if not self.alive or self.proc is None:
            return None
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return None
        pids = children.split()
        return int(pids[0]) if pids else None

    async def stop(self) -> None:
        """End the machine and remove everything it had on the host (idempotent)."""
        if self.stopped:
            return
        self.stopped = True
        if self.proc is not None and self.proc.returncode is None:
            pid = self.init_host_pid
            try:
                os.kill(pid if pid else self.proc.pid, 9)
            except ProcessLookupError:
                pass
            if not await self.wait_dead(5):
                try:  # it may end between the wait and the kill (a loaded host is slow)
                    self.proc.kill()
                except ProcessLookupError:
                    pass
                await self.proc.wait()
        if self.listener is not None:
            self.listener.close()
        self._close_seccomp_fd()
        self.cgroups.remove()
        # Never follow a link: whatever now stands at these paths, only our own mount is
        # unmounted and only our own tree removed.
        disk = self.root / "disk"
        if self.disk_mounted and _is_mounted_dir(disk):
            unmount_disk(disk)
        try:
            root = os.lstat(self.root)
        except FileNotFoundError:
            return
        if not stat.S_ISDIR(root.st_mode):
            os.unlink(self.root)  # the link (or file) itself, not what it points to
        elif not any(p.startswith(f"{self.root}/") or p == str(self.root) for p, _ in _mounts()):
            await asyncio.to_thread(remove_tree, self.root)  # the agent's tree may be huge
        # else: something is mounted inside; leave the tree rather than empty that mount

    def _close_seccomp_fd(self) -> None:
        if self.seccomp_fd is not None:
            os.close(self.seccomp_fd)
            self.seccomp_fd = None

    # -- requests to init ------------------------------------------------------------
    async def _request(
        self, req: dict[str, Any], timeout: float | None, payload: bytes | None = None
    ) -> tuple[dict[str, Any], dict[bytes, bytearray]]:
        """One request: init's closing JSON object, and the bytes it sent under each tag.

        `payload` follows the request line as raw bytes (its size in the request)."""
        if not self.alive:
            raise MachineUnavailable("the machine is not running")
        if payload is not None:
            req = {**req, "size": len(payload)}
        try:
            reader, writer = await asyncio.open_unix_connection(str(self.control_socket))
        except (ConnectionRefusedError, FileNotFoundError) as ex:
            raise MachineUnavailable("the machine is not accepting requests") from ex
        try:
            writer.write(json.dumps(req).encode() + b"\n")
            if payload:
                writer.write(payload)
            await writer.drain()
            return await asyncio.wait_for(_read_answer(reader), timeout)
        except asyncio.IncompleteReadError:
            # init exited mid-request: the machine was shut down (or killed)
            await self.wait_dead(2)
            raise MachineUnavailable("the machine shut down during the request") from None
        except ConnectionError as ex:
            raise MachineUnavailable("the machine went away during the request") from ex
        finally:
            writer.close()

    async def exec(
        self,
        cmd: list[str],
        input: bytes | None = None,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
        timeout: float | None = None,
        output_limit: int | None = None,
    ) -> ExecOutput:
        """Run a command as the machine's user; `output_limit`: bytes kept of each stream's
        tail (init's cap, 10 MiB, when None or larger). PermissionError if cmd may not be run;
        a command the machine cannot start (no process to be had) is a failed result (126)."""
        req: dict[str, Any] = {
            "op": "exec",
            "cmd": cmd,
            "cwd": cwd,
            "env": env or {},
            "timeout": timeout,
            "output_limit": output_limit,
        }
        # Host-side guard on top of init's own timeout, in case the machine hangs.
        resp, streams = await self._request(
            req, None if timeout is None else timeout + 10, payload=input
        )
        err = resp.get("error")
        if err == "PermissionError":
            raise PermissionError(resp.get("message", err))
        if err:  # init could not run it: to the caller, a shell's failure, never an exception
            return ExecOutput(126, b"", f"offswitch: {resp.get('message', err)}\n".encode())
        return ExecOutput(
            returncode=int(resp["rc"]),
            stdout=bytes(streams.get(b"o", b"")),
            stderr=bytes(streams.get(b"e", b"")),
            timed_out=bool(resp.get("timeout")),
        )

    async def read_file(self, path: str, limit: int | None = None) -> bytes:
        """A file's bytes; with a `limit`, at most limit + 1 of them (more means too large)."""
        req = {"op": "read", "path": absolute(path), "limit": limit}
        resp, streams = await self._request(req, timeout=60)
        _raise_for(resp)
        return bytes(streams.get(b"d", b""))

    async def write_file(self, path: str, data: bytes, mode: int | None = None) -> None:
        req = {"op": "write", "path": absolute(path), "mode": mode}
        resp, _ = await self._request(req, timeout=60, payload=data)
        _raise_for(resp)


def _raise_for(resp: dict[str, Any]) -> None:
    """Raise the error init reported, as the exception Inspect expects for it."""
    err = resp.get("error")
    if err:
        exc = {
            "FileNotFoundError": FileNotFoundError,
            "PermissionError": PermissionError,
            "IsADirectoryError": IsADirectoryError,
            "NotADirectoryError": NotADirectoryError,
        }.get(err, MachineError)
        raise exc(resp.get("message", err))


async def _read_answer(
    reader: asyncio.StreamReader,
) -> tuple[dict[str, Any], dict[bytes, bytearray]]:
    """init's frames up to its closing JSON object (see machine_init.py)."""
    streams: dict[bytes, bytearray] = {}
    while True:
        head = await reader.readexactly(5)
        tag, size = head[:1], int.from_bytes(head[1:], "big")
        if size > MAX_FRAME:
            raise MachineError(f"init sent a frame of {size} bytes")
        data = await reader.readexactly(size)
        if tag == b"j":
            resp: dict[str, Any] = json.loads(data)
            return resp, streams
        streams.setdefault(tag, bytearray()).extend(data)


def _warn_unenforced(cgroups: CgroupSet, disk_mounted: bool) -> None:
    """Say once per process which limits machines here do not get (an unprivileged harness)."""
    global _warned_unenforced
    missing = unenforced(cgroups, disk_mounted)
    if missing and not _warned_unenforced:
        _warned_unenforced = True
        log.warning(
            "offswitch: machines here run without root (or without cgroups): not enforced: %s",
            "; ".join(missing),
        )


class _ExitProtocol(asyncio.subprocess.SubprocessStreamProtocol):
    """asyncio's subprocess protocol, also telling `on_exit` the exit status as soon as the
    event loop learns it, before anything waiting for the process resumes."""

    def __init__(
        self, on_exit: Callable[[int], None], limit: int, loop: asyncio.AbstractEventLoop
    ) -> None:
        super().__init__(limit=limit, loop=loop)
        self._on_exit = on_exit
        self._exit_transport: asyncio.SubprocessTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._exit_transport = cast(asyncio.SubprocessTransport, transport)

    def process_exited(self) -> None:
        super().process_exited()
        status = None if self._exit_transport is None else self._exit_transport.get_returncode()
        if status is not None:
            self._on_exit(status)


async def _subprocess_exec(
    on_exit: Callable[[int], None], *args: str, **kwargs: Any
) -> asyncio.subprocess.Process:
    """`asyncio.create_subprocess_exec`, calling `on_exit(status)` when the process ends."""
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.subprocess_exec(
        lambda: _ExitProtocol(on_exit, 2**16, loop), *args, **kwargs
    )
    return asyncio.subprocess.Process(transport, protocol, loop)


def remove_tree(root: Path) -> None:
    """Delete a directory tree the agent shaped: iteratively (a tree 5,000 levels deep is not
    a recursion limit), through directory fds (no link followed, no PATH_MAX), and making
    each directory writable first (an unprivileged harness owns what `chmod 000` locked)."""
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC

    def open_dir(name: str | Path, dir_fd: int | None) -> int:
        try:
            return os.open(name, flags, dir_fd=dir_fd)
        except PermissionError:
            os.chmod(name, 0o700, dir_fd=dir_fd, follow_symlinks=False)
            return os.open(name, flags, dir_fd=dir_fd)

    try:
        top = open_dir(root, None)
    except OSError:
        return
    stack: list[tuple[int, str]] = [(top, "")]  # (fd, its name in the directory below it)
    kept: set[tuple[int, int]] = set()  # directories that could not be emptied: not again
    while stack:
        fd, name = stack[-1]
        try:
            os.fchmod(fd, 0o700)
        except OSError:
            pass
        entered = False
        for entry in os.listdir(fd):
            try:
                st = os.stat(entry, dir_fd=fd, follow_symlinks=False)
                if stat.S_ISDIR(st.st_mode):
                    if (st.st_dev, st.st_ino) in kept:
                        continue
                    stack.append((open_dir(entry, fd), entry))
                    entered = True
                    break
                os.unlink(entry, dir_fd=fd)
            except OSError:
                continue  # cannot remove or enter: leave it, remove the rest
        if entered:
            continue
        stack.pop()
        here = os.fstat(fd)
        os.close(fd)
        if stack:
            try:
                os.rmdir(name, dir_fd=stack[-1][0])
            except OSError:
                kept.add((here.st_dev, here.st_ino))
    try:
        os.rmdir(root)
    except OSError:
        pass
