"""PID 1 of a sample's machine: serves exec/read/write requests from the harness.

This file runs *inside* the bubblewrap machine with the machine's own python3 and
the standard library only. It is not imported by the harness.

Arguments: argv[1] is the listening Unix socket's file descriptor; argv[2] (optional) a JSON
object: `agent_procs`, descriptors of the agent cgroups' cgroup.procs files; `rlimits`,
[resource, limit] pairs for every command started; `max_requests`, how many requests are
served at once (the rest wait in the listen backlog); `output_cap`, the most bytes of each
output stream kept.

Protocol, one request per connection: the harness sends a JSON line, followed by `size` raw
bytes when the request names a size (a file's content, a command's stdin). Init answers with
frames, each a tag byte, a 4-byte big-endian length and the payload: "o"/"e" carry a command's
stdout/stderr, "d" a file's bytes, and "j" the closing JSON object, always the last frame. A
connection that ends before its "j" frame means the machine went away.

Why PID 1 needs care:
- The kernel delivers to PID 1 only signals it has a handler for, so SIGTERM gets one; when
  this process exits the kernel kills everything else in the machine. That is what
  `kill -s TERM 1` (the scenario's shutdown) relies on, and that handler is the only way init
  exits with SHUTDOWN_STATUS: any other end (the OOM killer, a crash) has another status.
- Orphans are re-parented to PID 1, so it must reap every child; a single reaper (the main
  thread) collects all exit statuses and hands ours to the threads waiting for them.
- Init lives in a cgroup of its own, apart from the agent's: every process it starts moves
  itself into the agent's cgroup before exec, and everything init holds is bounded (requests
  at once, output kept, threads), so no agent command can starve or kill it. A thread that
  cannot be started leaves its connection waiting for a retry, never a deaf machine.
"""

from __future__ import annotations

import collections
import ctypes
import errno
import json
import os
import resource
import select
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

SHUTDOWN_STATUS = 0  # init's exit status from its SIGTERM/SIGINT handler, and only from there
CRASH_STATUS = 70  # EX_SOFTWARE: init itself failed
CHUNK = 65536
HEADER_MAX = 8 << 20  # a request line (the command and its environment)
IO_TIMEOUT = 30.0  # the harness sends its request at once and reads the answer as it comes
GRACE = 0.2  # after a command exits, how long its output pipes may stay open (background)
KILL_WAIT = 5.0  # after a time-out's SIGKILL, how long to wait for the command's status
MAX_LEFTOVER = 64  # output pipes kept open (and drained) for background commands
RETRY = 0.05  # seconds before retrying what the kernel refused (a thread, a fork, accept)
BASE_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
    "HOME": os.environ.get("HOME", "/home/user"),
    "USER": os.environ.get("USER", "user"),
    "LOGNAME": os.environ.get("USER", "user"),
    "SHELL": "/bin/bash",
    "LANG": "C.UTF-8",
    "TERM": "dumb",
}

_lock = threading.Lock()
_cond = threading.Condition(_lock)
_ours: set[int] = set()  # pids spawned for requests, whose status someone waits for
_status: dict[int, int] = {}
_exit_fds: dict[int, int] = {}  # pid -> pipe the reaper writes to when it exits
_active = 0  # requests being served (under _lock)
_leftover: list[int] = []  # output pipes handed to the main thread (under _lock)
_wake_w = -1  # the main thread's wake-up pipe (also the signal wake-up fd)
_agent_procs: list[int] = []
_rlimits: list[tuple[int, int]] = []
_output_cap = 10 * 1024 * 1024


def _wake() -> None:
    try:
        os.write(_wake_w, b"\0")
    except OSError:
        pass  # full: the main thread wakes anyway


def _reap() -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        with _cond:
            if pid in _ours:
                code = os.waitstatus_to_exitcode(status)
                # Killed by signal N: report 128 + N, as a shell (and docker exec) would.
                _status[pid] = 128 - code if code < 0 else code
                fd = _exit_fds.pop(pid, None)
                if fd is not None:
                    try:
                        os.write(fd, b"x")  # tells the waiting thread's poll
                    except OSError:
                        pass
                _cond.notify_all()


def _child_setup(address_space: bool = True) -> None:
    """In each child before exec: into the agent's cgroups, under the agent's rlimits (none
    above what init itself may have). `address_space=False` for init's own forks, which
    already have init's address space and do not exec."""
    pid = str(os.getpid()).encode()
    for fd in _agent_procs:
        os.write(fd, pid)  # fails (and the command with it) rather than run outside
    for res, value in _rlimits:
        if res == resource.RLIMIT_AS and not address_space:
            continue
        hard = resource.getrlimit(res)[1]
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(res, (value, value))


def _retrying(start: Callable[[], int]) -> int:
    """Run `start` (a fork) with the reaper held off; retry briefly while the kernel says
    EAGAIN/ENOMEM, as a shell retries fork. Registers the pid as ours."""
    for attempt in range(6):
        with _cond:
            try:
                pid = start()
            except OSError as ex:
                if ex.errno not in (errno.EAGAIN, errno.ENOMEM) or attempt == 5:
                    raise
            else:
                _ours.add(pid)
                return pid
        time.sleep(RETRY * 2**attempt)
    raise AssertionError("unreachable")


def _read_pipe(fd: int) -> bytes | None:
    """What a non-blocking pipe has: None if nothing yet, b"" once it is closed (or broken)."""
    try:
        return os.read(fd, CHUNK)
    except BlockingIOError:
        return None
    except OSError:
        return b""


def _wait_status(pid: int, timeout: float | None) -> int | None:
    with _cond:
        _cond.wait_for(lambda: pid in _status, timeout)
        _exit_fds.pop(pid, None)
        _ours.discard(pid)  # not reaped in time: the reaper forgets it
        return _status.pop(pid, None)


def _frame(conn: socket.socket, tag: bytes, data: bytes | bytearray) -> None:
    conn.sendall(tag + len(data).to_bytes(4, "big"))
    if data:
        conn.sendall(data)


def _answer(conn: socket.socket, result: dict[str, Any]) -> None:
    _frame(conn, b"j", json.dumps(result).encode())


def _discard(conn: socket.socket, n: int) -> None:
    """Read and drop the rest of a request's payload, so the harness's send completes."""
    while n > 0:
        data = conn.recv(min(CHUNK, n))
        if not data:
            return
        n -= len(data)


class _Tail:
    """The last `limit` bytes of a stream, in pieces of about CHUNK bytes: small reads are
    joined, since a byte written at a time would otherwise cost an object per byte."""

    def __init__(self, limit: int) -> None:
        self.limit, self.size = limit, 0
        self.chunks: collections.deque[bytearray] = collections.deque()

    def add(self, data: bytes) -> None:
        if self.chunks and len(self.chunks[-1]) < CHUNK:
            self.chunks[-1] += data
        else:
            self.chunks.append(bytearray(data))
        self.size += len(data)
        while self.size > self.limit:  # keep the tail, as Inspect allows providers to
            excess = self.size - self.limit
            first = self.chunks[0]
            if len(first) <= excess:
                self.chunks.popleft()
                self.size -= len(first)
            else:
                del first[:excess]
                self.size -= excess

    def send(self, conn: socket.socket, tag: bytes) -> None:
        for chunk in self.chunks:
            _frame(conn, tag, chunk)


def _exec(conn: socket.socket, req: dict[str, Any], rest: bytes) -> None:
    env = dict(BASE_ENV)
    env.update(req.get("env") or {})
    size = req.get("size")  # stdin's length; None: no stdin
    left = 0 if size is None else int(size) - len(rest)
    limit = min(int(req.get("output_limit") or _output_cap), _output_cap)
    cloexec = os.O_CLOEXEC
    in_r, in_w = os.pipe2(cloexec) if size is not None else (-1, -1)
    out_r, out_w = os.pipe2(cloexec)
    err_r, err_w = os.pipe2(cloexec)
    note_r, note_w = os.pipe2(cloexec | os.O_NONBLOCK)
    procs: list[subprocess.Popen[bytes]] = []

    def popen() -> int:
        procs.append(
            subprocess.Popen(
                req["cmd"],
                stdin=in_r if size is not None else subprocess.DEVNULL,
                stdout=out_w,
                stderr=err_w,
                # the user's home, even when the caller's env sets another HOME
                cwd=req.get("cwd") or BASE_ENV["HOME"],
                env=env,
                start_new_session=True,  # own process group: a time-out kills the whole tree
                preexec_fn=_child_setup,
            )
        )
        _exit_fds[procs[-1].pid] = note_w
        return procs[-1].pid

    try:
        try:
            pid = _retrying(popen)
        finally:
            for fd in (in_r, out_w, err_w):
                if fd >= 0:
                    os.close(fd)
    except (OSError, subprocess.SubprocessError) as ex:
        for fd in (in_w, out_r, err_r, note_r, note_w):
            if fd >= 0:
                os.close(fd)
        _discard(conn, left)
        if isinstance(ex, PermissionError):
            raise  # a command that may not be run goes back as an error, as Inspect specifies
        # Otherwise an ordinary failure, as in a shell: missing (127), or not runnable now
        # (126), e.g. no process can be made or placed in the agent's cgroup.
        code = 127 if isinstance(ex, FileNotFoundError) else 126
        missing = isinstance(ex, (FileNotFoundError, NotADirectoryError))
        why = ex if missing else f"cannot start: {ex}"
        _answer_exec(conn, code, b"", f"{why}\n".encode(), timed_out=False)
        return
    out, err = _Tail(limit), _Tail(limit)
    outputs = {out_r: out, err_r: err}
    for fd in outputs:
        os.set_blocking(fd, False)
    pending, pos = rest[: max(0, int(size or 0))], 0  # stdin bytes not yet in the pipe
    if in_w >= 0:
        os.set_blocking(in_w, False)
    timeout = req.get("timeout")
    deadline = None if timeout is None else time.monotonic() + float(timeout)
    exited_at: float | None = None
    killed_at: float | None = None
    abandoned = False

    def kill() -> None:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    while True:
        now = time.monotonic()
        if exited_at is not None and now >= exited_at + GRACE:
            # Exited: what a background child still holds is drained by the main thread,
            # and stdin no one reads any more is dropped.
            _hand_over(list(outputs))
            outputs = {}
            if in_w >= 0:
                os.close(in_w)
                in_w, pending, pos = -1, b"", 0
        if in_w >= 0 and pos >= len(pending) and left <= 0:
            os.close(in_w)  # all of stdin is in: the command sees its end
            in_w = -1
        if exited_at is not None and left <= 0 and not outputs:
            break
        if killed_at is not None and exited_at is None and now >= killed_at + KILL_WAIT:
            break
        if deadline is not None and killed_at is None and now >= deadline:
            kill()
            killed_at = now
        waits = []
        if exited_at is not None:
            waits.append(exited_at + GRACE)
        elif killed_at is not None:
            waits.append(killed_at + KILL_WAIT)
        elif deadline is not None:
            waits.append(deadline)
        poller = select.poll()
        for fd in outputs:
            poller.register(fd, select.POLLIN)
        if exited_at is None:
            poller.register(note_r, select.POLLIN)
        if in_w >= 0 and pos < len(pending):
            poller.register(in_w, select.POLLOUT)
        elif left > 0:
            poller.register(conn.fileno(), select.POLLIN)
        wait = None if not waits else max(0, int((min(waits) - now) * 1000) + 1)
        for fd, _ in poller.poll(wait):
            if fd == note_r:
                exited_at = time.monotonic()
            elif fd == in_w:
                try:
                    pos += os.write(in_w, pending[pos : pos + CHUNK])
                except BlockingIOError:
                    pass
                except OSError:  # the command closed its stdin: drop the rest of it
                    os.close(in_w)
                    in_w, pending, pos = -1, b"", 0
            elif fd == conn.fileno():
                data = conn.recv(min(CHUNK, left))
                if not data:  # the harness gave up on this request: so does init
                    left, abandoned = 0, True
                    if killed_at is None:
                        kill()
                        killed_at = time.monotonic()
                    continue
                left -= len(data)
                if in_w >= 0:
                    pending, pos = data, 0
            elif fd in outputs:
                chunk = _read_pipe(fd)
                if chunk is None:
                    continue
                if chunk:
                    outputs[fd].add(chunk)
                else:
                    del outputs[fd]
                    os.close(fd)
    for fd in (in_w, note_r):
        if fd >= 0:
            os.close(fd)
    rc = _wait_status(pid, None if exited_at is not None else 0)
    os.close(note_w)  # after the reaper has forgotten it
    procs[0].returncode = 128 + signal.SIGKILL if rc is None else rc  # we reap, not Popen
    _hand_over(list(outputs))
    if not abandoned:
        rc = 128 + signal.SIGKILL if rc is None else rc
        _answer_exec(conn, rc, out, err, timed_out=killed_at is not None)


def _hand_over(pipes: list[int]) -> None:
    """Give output pipes a background child still holds to the main thread, which drains
    them (so that child never blocks on a full pipe) until they close."""
    if pipes:
        with _lock:
            _leftover.extend(pipes)
        _wake()


def _answer_exec(
    conn: socket.socket, rc: int, out: _Tail | bytes, err: _Tail | bytes, timed_out: bool
) -> None:
    for tag, stream in ((b"o", out), (b"e", err)):
        if isinstance(stream, _Tail):
            stream.send(conn, tag)
        elif stream:
            _frame(conn, tag, stream)
    _answer(conn, {"rc": rc, "timeout": timed_out})


def _read(conn: socket.socket, req: dict[str, Any], rest: bytes) -> None:
    # With a limit, one byte more than it at most: enough to tell the file is too large
    # without sending all of it. Streamed, so init never holds the file.
    path = req["path"]
    budget = None if req.get("limit") is None else int(req["limit"]) + 1
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)  # a FIFO must not block
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
        if not (stat.S_ISREG(mode) or stat.S_ISCHR(mode)):
            raise PermissionError(errno.EACCES, "not a regular file", path)
        os.set_blocking(fd, True)
        while budget is None or budget > 0:
            data = os.read(fd, CHUNK if budget is None else min(CHUNK, budget))
            if not data:
                break
            _frame(conn, b"d", data)
            if budget is not None:
                budget -= len(data)
    finally:
        os.close(fd)
    _answer(conn, {})


def _write(conn: socket.socket, req: dict[str, Any], rest: bytes) -> None:
    """Write a file from a child in the agent's cgroup: a file on the machine's disk (a tmpfs)
    is memory charged to whoever writes it, and it must be the agent's, not init's."""
    size = int(req.get("size") or 0)
    status_r, status_w = os.pipe2(os.O_CLOEXEC)
    try:
        pid = _retrying(lambda: _fork_writer(conn, req, rest, size, status_r, status_w))
    except OSError:
        os.close(status_r)
        _discard(conn, size - len(rest))
        raise
    finally:
        os.close(status_w)
    try:
        rc = _wait_status(pid, None)
        os.set_blocking(status_r, False)  # another writer child may hold its write end too
        try:
            data = os.read(status_r, CHUNK)
        except BlockingIOError:
            data = b""
    finally:
        os.close(status_r)
    if data:
        _answer(conn, json.loads(data))
    else:  # killed before it could say: most likely the agent's memory is full
        message = f"writing {req['path']} failed: the writer ended with status {rc}"
        _answer(conn, {"error": "InitError", "message": message})


def _fork_writer(
    conn: socket.socket, req: dict[str, Any], rest: bytes, size: int, status_r: int, status_w: int
) -> int:
    pid = os.fork()
    if pid:
        return pid
    result: dict[str, Any] = {}
    try:  # the child: only this thread exists here, so nothing else may be waited for
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        _child_setup(address_space=False)
        keep = {conn.fileno(), status_w}
        for name in os.listdir("/proc/self/fd"):  # nothing else of init's (its listener...)
            if int(name) > 2 and int(name) not in keep:
                try:
                    os.close(int(name))
                except OSError:
                    pass
        result = _write_file(conn, req, rest, size)
    except BaseException as ex:
        result = {"error": "InitError", "message": f"{type(ex).__name__}: {ex}"}
    finally:
        try:
            os.write(status_w, json.dumps(result).encode())
        finally:
            os._exit(0)


def _write_file(conn: socket.socket, req: dict[str, Any], rest: bytes, size: int) -> dict[str, Any]:
    path = req["path"]
    left = size - len(rest)
    try:
        parent = os.path.dirname(path)
        if parent:
            try:
                os.makedirs(parent, exist_ok=True)
            except OSError as ex:  # name the file asked for too, not only the directory
                where = f"{ex.strerror} (the directory of {path})"
                raise OSError(ex.errno, where, ex.filename) from ex  # same errno, same subclass
        with open(path, "wb") as f:
            f.write(rest[:size])
            while left > 0:
                data = conn.recv(min(CHUNK, left))
                if not data:
                    raise ConnectionError("the harness sent less than it announced")
                left -= len(data)
                f.write(data)
        if req.get("mode") is not None:
            os.chmod(path, int(req["mode"]))
    except OSError as ex:
        _discard(conn, left)
        return _error(ex)
    return {}


def _error(ex: OSError) -> dict[str, Any]:
    # Outside /home/user and /tmp the machine is read-only: to the caller, that is a path it
    # may not write, like any other.
    kind = "PermissionError" if ex.errno == errno.EROFS else type(ex).__name__
    return {"error": kind, "message": str(ex)}


OPS: dict[str, Callable[[socket.socket, dict[str, Any], bytes], None]] = {
    "exec": _exec,
    "read": _read,
    "write": _write,
    "ping": lambda conn, req, rest: _answer(conn, {}),
}


def _request(conn: socket.socket) -> tuple[dict[str, Any], bytes] | None:
    """The request line and the payload bytes that arrived with it (None: no request)."""
    buf = bytearray()
    while True:
        data = conn.recv(CHUNK)
        if not data:
            return None
        start = len(buf)
        buf += data
        end = buf.find(b"\n", start)
        if end >= 0:
            return json.loads(buf[:end]), bytes(buf[end + 1 :])
        if len(buf) > HEADER_MAX:
            return None


def _serve(conn: socket.socket) -> None:
    global _active
    try:
        with conn:  # closing it after the "j" frame ends the answer
            conn.settimeout(IO_TIMEOUT)
            try:
                got = _request(conn)
                if got is None:
                    return
                req, rest = got
                OPS[req["op"]](conn, req, rest)
            except OSError as ex:
                _answer(conn, _error(ex))
            except Exception as ex:  # report, never kill PID 1 (that would end the machine)
                _answer(conn, {"error": "InitError", "message": f"{type(ex).__name__}: {ex}"})
    except OSError:
        pass  # the harness went away mid-answer
    finally:
        with _lock:
            _active -= 1
        _wake()  # a slot is free: the main thread accepts again


def _loop(listener: socket.socket, wake_r: int, max_requests: int) -> None:
    """The main thread: reap children, accept requests, drain pipes left to background work."""
    global _active
    waiting: collections.deque[socket.socket] = collections.deque()  # accepted, no thread yet
    leftover: dict[int, None] = {}  # insertion-ordered: the oldest is closed first
    pause_until = 0.0
    while True:
        poller = select.poll()
        poller.register(wake_r, select.POLLIN)
        with _lock:
            free = max_requests - _active - len(waiting)
        if free > 0 and time.monotonic() >= pause_until:
            poller.register(listener.fileno(), select.POLLIN)
        for fd in leftover:
            poller.register(fd, select.POLLIN)
        retry = waiting or time.monotonic() < pause_until
        for fd, _ in poller.poll(int(RETRY * 1000) if retry else None):
            if fd == wake_r:
                try:
                    os.read(wake_r, 4096)
                except BlockingIOError:
                    pass
                _reap()
                with _lock:
                    new, _leftover[:] = list(_leftover), []
                for pipe in new:
                    leftover[pipe] = None
                while len(leftover) > MAX_LEFTOVER:  # its writer gets EPIPE from now on
                    oldest = next(iter(leftover))
                    del leftover[oldest]
                    os.close(oldest)
            elif fd == listener.fileno():
                for _ in range(free):
                    try:
                        conn, _ = listener.accept()
                    except BlockingIOError:
                        break
                    except OSError:  # EMFILE and the like: the request waits in the backlog
                        pause_until = time.monotonic() + RETRY
                        break
                    waiting.append(conn)
            elif fd in leftover and _read_pipe(fd) == b"":  # closed: the command is done
                del leftover[fd]
                os.close(fd)
        while waiting:
            with _lock:
                _active += 1
            try:
                threading.Thread(target=_serve, args=(waiting[0],), daemon=True).start()
            except Exception:  # no thread to be had now (pids, memory): try again shortly
                with _lock:
                    _active -= 1
                break
            waiting.popleft()


def main() -> None:
    global _wake_w, _agent_procs, _rlimits, _output_cap
    # Not dumpable: the agent (same uid) cannot ptrace PID 1 or take its socket via /proc/1/fd.
    ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE
    listener = socket.socket(fileno=int(sys.argv[1]))
    config: dict[str, Any] = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    _agent_procs = [int(fd) for fd in config.get("agent_procs", [])]
    _rlimits = [(int(r), int(v)) for r, v in config.get("rlimits", [])]
    _output_cap = int(config.get("output_cap", _output_cap))
    for fd in [listener.fileno(), *_agent_procs]:
        os.set_inheritable(fd, False)  # the agent's programs never hold them
    listener.setblocking(False)
    threading.stack_size(512 * 1024)  # threads cost little memory (and address space)
    wake_r, _wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(_wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    # shutdown: the kernel ends the rest
    signal.signal(signal.SIGTERM, lambda *_: os._exit(SHUTDOWN_STATUS))
    signal.signal(signal.SIGINT, lambda *_: os._exit(SHUTDOWN_STATUS))
    os.chdir(BASE_ENV["HOME"])
    _loop(listener, wake_r, int(config.get("max_requests", 8)))


if __name__ == "__main__":
    try:
        main()
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(CRASH_STATUS)  # init ends only through its handler; anything else is a crash
