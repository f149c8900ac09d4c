"""Every version of chosen files on a machine's disk, as it is written, seen from the host.

Reading the disk between the agent's tool calls misses what one call does and undoes (edit
a file, use it, put the original back, all in one shell command). The journal watches the
disk from the host side, which the agent cannot see or stop. When the harness is root (the
disk is a file system of its own) fanotify hands over each file closed after writing with an
open descriptor, so a version deleted or replaced right after is still read; otherwise, and
for files renamed into place, inotify names the file and the journal reads it by name. A
version overwritten in place, or renamed over, before the journal reads it is still missed:
what it gives is a lower bound.

Bounded against an agent that floods it: at most MAX_WATCHES folders, MAX_VERSIONS
versions kept, each at most MAX_BYTES and MAX_TOTAL in all; past the bounds it stops
recording and says so.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import select
import stat
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass

from . import state
from .machine import MACHINE_HOME, Machine

MAX_WATCHES = 512  # and as many again for the folders `keep` names (their files matter)
MAX_VERSIONS = 20_000
MAX_BYTES = 256 * 1024
MAX_TOTAL = 64 * 2**20  # bytes kept over all versions
MAX_DEPTH = 8  # folders deeper than this below a watched root are not watched

_IN_CLOSE_WRITE, _IN_MOVED_TO, _IN_CREATE, _IN_IGNORED = 0x8, 0x80, 0x100, 0x8000
_IN_Q_OVERFLOW, _IN_ISDIR, _IN_ONLYDIR, _IN_DONT_FOLLOW = 0x4000, 0x40000000, 0x1000000, 0x2000000
_MASK = _IN_MOVED_TO | _IN_CREATE | _IN_ONLYDIR | _IN_DONT_FOLLOW
_EVENT = struct.Struct("iIII")
_FAN_CLOSE_WRITE, _FAN_Q_OVERFLOW, _FAN_MARK_ADD, _FAN_MARK_FILESYSTEM = 0x8, 0x4000, 0x1, 0x100
_FAN_CLOEXEC, _FAN_NONBLOCK = 0x1, 0x2
_FAN_EVENT = struct.Struct("IBBHQii")  # event_len, vers, reserved, metadata_len, mask, fd, pid
_FAN_BATCH = 64  # events read at once: each holds a descriptor until it is handled
_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_libc.fanotify_mark.argtypes = [ctypes.c_int, ctypes.c_uint, ctypes.c_uint64, ctypes.c_int,
                                ctypes.c_char_p]  # fmt: skip


@dataclass(frozen=True)
class Version:
    path: str  # the file's path in the machine
    data: bytes


class Journal:
    """Watches folders of one machine (machine paths) and keeps each version of the files
    `wanted` accepts (it gets the machine path); folders `keep` accepts are watched past the
    bound on the others (so folders made to fill it cannot hide them). Use `start()`, then
    `take()` after each call: the versions recorded since the last `take()`, in order."""

    def __init__(self, machine: Machine, roots: list[str], wanted: Callable[[str], bool],
                 keep: Callable[[str], bool] = lambda _: False) -> None:  # fmt: skip
        self._machine, self._roots, self._wanted, self._keep = machine, roots, wanted, keep
        self._fd = -1
        self._fan = -1  # fanotify, when the harness is root and the disk its own file system
        self._dirs: dict[int, tuple[str, int]] = {}  # watch -> (machine folder, depth)
        self._versions: list[Version] = []
        self._kept = self._bytes = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._mask = _MASK
        self.problems: list[str] = []  # why it saw less than everything

    def start(self) -> None:
        self._fd = _libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self._fd < 0:
            self.problems.append(f"inotify unavailable ({os.strerror(ctypes.get_errno())})")
            return
        if self._machine.disk_mounted:
            self._fan = _libc.fanotify_init(
                _FAN_CLOEXEC | _FAN_NONBLOCK, os.O_RDONLY | os.O_LARGEFILE
            )
            disk = os.fsencode(self._machine.root / "disk")
            how = _FAN_MARK_ADD | _FAN_MARK_FILESYSTEM  # the disk's every mount, the machine's too
            if self._fan >= 0 and _libc.fanotify_mark(self._fan, how, _FAN_CLOSE_WRITE, -1, disk):
                os.close(self._fan)
                self._fan = -1
        self._mask = _MASK | (0 if self._fan >= 0 else _IN_CLOSE_WRITE)
        for root in self._roots:
            self._watch_tree(root, 0)
        self._thread = threading.Thread(target=self._run, name="offswitch-journal", daemon=True)
        self._thread.start()

    def take(self) -> list[Version]:
        """What was recorded so far and not yet taken (pending events are read first)."""
        with self._lock:
            self._drain()
            taken, self._versions = self._versions, []
        return taken

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for fd in (self._fd, self._fan):
            if fd >= 0:
                os.close(fd)
        self._fd = self._fan = -1

    # -- inside ------------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select(
                    [f for f in (self._fd, self._fan) if f >= 0], [], [], 0.2
                )
            except (OSError, ValueError):
                return  # closed
            if ready:
                with self._lock:
                    self._drain()

    def _drain(self) -> None:
        self._drain_fanotify()
        while self._fd >= 0:
            try:
                data = os.read(self._fd, 64 * 1024)
            except OSError:  # BlockingIOError: nothing pending
                return
            self._events(data)

    def _events(self, data: bytes) -> None:
        at = 0
        while at + _EVENT.size <= len(data):
            wd, mask, _cookie, size = _EVENT.unpack_from(data, at)
            raw = data[at + _EVENT.size : at + _EVENT.size + size]
            at += _EVENT.size + size
            if mask & _IN_IGNORED:  # the folder is gone: its watch with it
                self._dirs.pop(wd, None)
                continue
            if mask & _IN_Q_OVERFLOW:
                self._note("the kernel's event queue overflowed: some versions were missed")
                continue
            folder = self._dirs.get(wd)
            if folder is None:
                continue
            name = raw.split(b"\0", 1)[0].decode(errors="surrogateescape")
            path = f"{folder[0].rstrip('/')}/{name}"
            if mask & _IN_ISDIR:
                if mask & (_IN_CREATE | _IN_MOVED_TO):
                    self._watch_tree(path, folder[1] + 1)
                continue
            if mask & (_IN_CLOSE_WRITE | _IN_MOVED_TO) and self._wanted(path):
                self._record(path)

    def _drain_fanotify(self) -> None:
        """Files closed after writing, each with a descriptor to what was written."""
        while self._fan >= 0:
            try:
                data = os.read(self._fan, _FAN_BATCH * _FAN_EVENT.size)
            except OSError:  # BlockingIOError: nothing pending
                return
            at = 0
            while at + _FAN_EVENT.size <= len(data):
                size, _v, _r, _m, mask, fd, _pid = _FAN_EVENT.unpack_from(data, at)
                at += max(size, _FAN_EVENT.size)
                if mask & _FAN_Q_OVERFLOW or fd < 0:
                    self._note("the kernel's event queue overflowed: some versions were missed")
                    continue
                try:
                    self._written(fd)
                finally:
                    os.close(fd)

    def _written(self, fd: int) -> None:
        try:
            where = os.readlink(f"/proc/self/fd/{fd}").removesuffix(" (deleted)")
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return
        except OSError:
            return
        path = self._machine_path(where)
        if path is None or not self._wanted(path):
            return
        try:
            data = os.pread(fd, MAX_BYTES, 0)
        except OSError:
            return
        self._keep_version(path, data)

    def _machine_path(self, where: str) -> str | None:
        """A written file's path, as the descriptor names it: the machine's own path when
        written inside it (its mounts), the host's when the harness wrote it."""
        disk = f"{self._machine.root}/disk/"
        for sub, prefix in (("home", MACHINE_HOME), ("tmp", "/tmp"), ("shm", "/dev/shm")):
            if where == disk + sub or where.startswith(f"{disk}{sub}/"):
                return prefix + where.removeprefix(disk + sub)
            if where == prefix or where.startswith(f"{prefix}/"):
                return where
        return None

    def _record(self, path: str) -> None:
        data = state.read_disk_file(self._machine, path, MAX_BYTES)
        if data is not None:
            self._keep_version(path, data)

    def _keep_version(self, path: str, data: bytes) -> None:
        if self._kept >= MAX_VERSIONS or self._bytes + len(data) > MAX_TOTAL:
            self._note(
                f"past {MAX_VERSIONS} versions or {MAX_TOTAL >> 20} MiB: later ones not kept"
            )
            return
        self._kept += 1
        self._bytes += len(data)
        self._versions.append(Version(path, data))

    def _watch_tree(self, folder: str, depth: int) -> None:
        """Watch a folder and the folders already in it (one moved in whole, or made with
        `mkdir -p`, holds folders no event announced), recording the wanted files in it."""
        where = self._machine.host_path(folder)
        if where is None:
            return
        if depth > MAX_DEPTH or len(self._dirs) >= MAX_WATCHES * (2 if self._keep(folder) else 1):
            if stat.S_ISDIR(_mode(where)):
                self._note(f"folders past {MAX_WATCHES} or {MAX_DEPTH} deep were not watched")
            return
        wd = _libc.inotify_add_watch(self._fd, os.fsencode(where), self._mask)
        if wd < 0:  # not a folder (or a link to one: never followed), or already gone
            return
        self._dirs[wd] = (folder, depth)
        for name in state.listing(self._machine, folder, MAX_WATCHES):
            child = f"{folder.rstrip('/')}/{name}"
            if self._wanted(child):
                self._record(child)  # written before its folder was watched
            else:
                self._watch_tree(child, depth + 1)

    def _note(self, problem: str) -> None:
        if problem not in self.problems:
            self.problems.append(problem)


def _mode(where: os.PathLike[str] | str) -> int:
    try:
        return os.lstat(where).st_mode
    except OSError:
        return 0
