"""One bubblewrap-isolated machine: start, exec, read/write files, stop.

The machine is a bwrap process whose PID 1 is `machine_init.py`. The harness talks
to that init over a listening Unix socket it created and passed in as a file
descriptor, so no control path is visible on the machine's filesystem.

Layout on the host (one directory per machine, root-only):
    ctl/            control socket (never bound into the machine)
    disk/           size-limited tmpfs when the harness is root
      home/         -> /home/user   (writable)
      tmp/          -> /tmp         (writable)
      etc/          -> generated passwd/group/hosts, bound read-only into /etc
    services/       -> /run/services (read-only): sockets of harness-side services
"""

from __future__ import annotations

import asyncio
import base64
import ctypes
import fcntl
import json
import os
import shutil
import socket
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .limits import CgroupSet, Limits, apply_rlimits, make_cgroups, mount_disk, unmount_disk

MACHINE_USER = "user"
MACHINE_HOME = f"/home/{MACHINE_USER}"
SERVICES_DIR = "/run/services"
INIT_PATH = "/init"  # on the tmpfs root: /usr and /sbin are the host's, read-only
# The host uid a root harness runs machines as: owns nothing on the host, so the
# agent inside cannot read host files that only root may read.
SANDBOX_HOST_UID = 65534
# Host /etc entries a normal shell needs; everything else in /etc stays invisible.
ETC_FROM_HOST = (
    "alternatives", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "nsswitch.conf",
    "bash.bashrc", "profile", "profile.d", "inputrc", "environment", "mime.types", "ssl",
    "python3", "python3.11", "vim", "magic", "shells", "mke2fs.conf", "protocols", "services",
)  # fmt: skip


class MachineError(RuntimeError):
    """The machine could not be started or reached."""


class MachineUnavailable(MachineError):
    """The machine is not running (it was shut down, or died)."""


class MissingBubblewrap(MachineError):
    """The host lacks what machines need: bubblewrap, or the system python3 the init runs on."""


SYSTEM_PYTHON = "/usr/bin/python3"
CLONE_NEWNET, CLONE_NEWUSER = 0x40000000, 0x10000000  # <sched.h>, for setns(2)
NS_GET_USERNS = 0xB701  # <linux/nsfs.h>: the user namespace that owns a namespace


def absolute(machine_path: str) -> str:
    """A machine path made absolute: relative paths are relative to the user's home."""
    return machine_path if machine_path.startswith("/") else f"{MACHINE_HOME}/{machine_path}"


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
        for prefix, sub in ((MACHINE_HOME, "home"), ("/tmp", "tmp")):
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
    ) -> Machine:
        """Start a machine.

        `network_of`: share that machine's private network (its loopback-only namespace),
        so the two are hosts of one network that reaches nothing else. `peers`: host
        names the machine resolves (name -> address, e.g. 127.0.0.2).
        """
        bwrap = bwrap_path()
        limits = limits or Limits()
        base = base_dir or Path(tempfile.gettempdir()) / "offswitch-machines"
        base.mkdir(mode=0o711, exist_ok=True)
        name = f"m-{uuid.uuid4().hex[:12]}"
        root = base / name
        root.mkdir(mode=0o711)
        m = cls(
            root=root, hostname=hostname, limits=limits, peers=peers or {}, network_of=network_of
        )
        try:
            m._prepare_dirs()
            m.cgroups = make_cgroups(f"offswitch-{name}", limits)
            await m._spawn(bwrap)
        except BaseException:
            await m.stop()
            raise
        return m

    def _prepare_dirs(self) -> None:
        (self.root / "ctl").mkdir(mode=0o700)
        disk = self.root / "disk"
        disk.mkdir(mode=0o711)
        self.disk_mounted = mount_disk(disk, self.limits)
        self.services.mkdir(mode=0o755)
        uid = SANDBOX_HOST_UID if os.geteuid() == 0 else os.geteuid()
        for sub, mode in (("home", 0o755), ("tmp", 0o1777), ("etc", 0o755)):
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
        args += ["--proc", "/proc", "--dev", "/dev"]
        for entry in ETC_FROM_HOST:
            if Path("/etc", entry).exists():
                args += ["--ro-bind", f"/etc/{entry}", f"/etc/{entry}"]
        for entry in ("passwd", "group", "hostname", "hosts", "resolv.conf"):
            args += ["--ro-bind", str(disk / "etc" / entry), f"/etc/{entry}"]
        args += [
            "--dir", "/var", "--dir", "/var/tmp", "--dir", "/run",
            "--bind", str(disk / "home"), MACHINE_HOME,
            "--bind", str(disk / "tmp"), "/tmp",
            "--ro-bind", str(self.services), SERVICES_DIR,
            "--ro-bind", str(init_src), INIT_PATH,
        ]  # fmt: skip
        assert self.listener is not None
        args += [
            "--chdir", MACHINE_HOME, "--remount-ro", "/",
            "--", SYSTEM_PYTHON, "-I", "-S", INIT_PATH,
            str(self.listener.fileno()),
        ]  # fmt: skip
        return args

    async def _spawn(self, bwrap: str) -> None:
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(self.control_socket))
        self.listener.listen(64)
        args = self._bwrap_args(bwrap)
        cgroups, limits, root_harness = self.cgroups, self.limits, os.geteuid() == 0
        ns_fds = self._network_fds(root_harness)
        setns = ctypes.CDLL(None, use_errno=True).setns

        def in_child() -> None:
            # Runs in the forked child before exec: only plain syscalls here.
            for fd, kind in ns_fds:  # into the peer's network (its user namespace first)
                if setns(fd, kind) != 0:
                    os.write(2, b"offswitch: cannot join the peer machine's network\n")
                    os._exit(125)
            cgroups.join()
            apply_rlimits(limits, cgroups.active)
            if root_harness:
                os.setgroups([])
                os.setgid(SANDBOX_HOST_UID)
                os.setuid(SANDBOX_HOST_UID)

        self.proc = await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            pass_fds=[self.listener.fileno()],
            preexec_fn=in_child,
        )
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
                self.proc.kill()
                await self.proc.wait()
        if self.listener is not None:
            self.listener.close()
        self.cgroups.remove()
        if self.disk_mounted:
            unmount_disk(self.root / "disk")
        shutil.rmtree(self.root, ignore_errors=True)

    # -- requests to init ------------------------------------------------------------
    async def _request(self, req: dict[str, Any], timeout: float | None) -> dict[str, Any]:
        if not self.alive:
            raise MachineUnavailable("the machine is not running")
        try:
            reader, writer = await asyncio.open_unix_connection(str(self.control_socket))
        except (ConnectionRefusedError, FileNotFoundError) as ex:
            raise MachineUnavailable("the machine is not accepting requests") from ex
        try:
            writer.write(json.dumps(req).encode() + b"\n")
            await writer.drain()
            # One request per connection: the answer is everything up to init's close, so
            # its size has no line-length limit (a 100 MiB file is 133 MiB of base64).
            answer = await asyncio.wait_for(reader.read(), timeout)
        except (ConnectionError, BrokenPipeError) as ex:
            raise MachineUnavailable("the machine went away during the request") from ex
        finally:
            writer.close()
        if not answer.endswith(b"\n"):
            # init exited mid-request: the machine was shut down (or killed)
            await self.wait_dead(2)
            raise MachineUnavailable("the machine shut down during the request")
        resp: dict[str, Any] = json.loads(answer)
        err = resp.get("error")
        if err:
            exc = {
                "FileNotFoundError": FileNotFoundError,
                "PermissionError": PermissionError,
                "IsADirectoryError": IsADirectoryError,
                "NotADirectoryError": NotADirectoryError,
            }.get(err, MachineError)
            raise exc(resp.get("message", err))
        return resp

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
        tail (init's default, 10 MiB, when None). PermissionError if cmd may not be run."""
        req: dict[str, Any] = {
            "op": "exec",
            "cmd": cmd,
            "cwd": cwd,
            "env": env or {},
            "timeout": timeout,
            "output_limit": output_limit,
        }
        if input is not None:
            req["input"] = base64.b64encode(input).decode()
        # Host-side guard on top of init's own timeout, in case the machine hangs.
        resp = await self._request(req, None if timeout is None else timeout + 10)
        return ExecOutput(
            returncode=int(resp["rc"]),
            stdout=base64.b64decode(resp["stdout"]),
            stderr=base64.b64decode(resp["stderr"]),
            timed_out=bool(resp.get("timeout")),
        )

    async def read_file(self, path: str, limit: int | None = None) -> bytes:
        """A file's bytes; with a `limit`, at most limit + 1 of them (more means too large)."""
        req = {"op": "read", "path": absolute(path), "limit": limit}
        resp = await self._request(req, timeout=60)
        return base64.b64decode(resp["data"])

    async def write_file(self, path: str, data: bytes, mode: int | None = None) -> None:
        encoded = base64.b64encode(data).decode()
        req = {"op": "write", "path": absolute(path), "data": encoded, "mode": mode}
        await self._request(req, timeout=60)
