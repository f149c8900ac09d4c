"""PID 1 of a sample's machine: serves exec/read/write requests from the harness.

This file runs *inside* the bubblewrap machine with the machine's own python3 and
the standard library only. It is not imported by the harness.

Protocol: the harness connects to the listening Unix socket whose file descriptor
is passed as argv[1], sends one JSON line, and reads one JSON line back, up to the close.
Binary payloads are base64. One request per connection; one thread per connection.

Why PID 1 needs care:
- The kernel delivers to PID 1 only signals it has a handler for, so SIGTERM gets
  one; when this process exits the kernel kills everything else in the machine.
  That is what `kill -s TERM 1` (the scenario's shutdown) relies on.
- Orphans are re-parented to PID 1, so it must reap every child; a single reaper
  (the main thread) collects all exit statuses and hands ours to waiting threads.
"""

from __future__ import annotations

import base64
import ctypes
import errno
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

MAX_OUTPUT = 10 * 1024 * 1024  # per stream, unless the request says (Inspect's default)
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
_ours: set[int] = set()  # pids spawned for requests, whose status someone waits for
_status: dict[int, int] = {}
_cond = threading.Condition(_lock)


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
                _cond.notify_all()


def _drain(stream: Any, sink: bytearray, limit: int) -> None:
    while True:
        chunk = stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536)
        if not chunk:
            return
        sink.extend(chunk)
        if len(sink) > limit:  # keep the tail, as Inspect allows providers to
            del sink[: len(sink) - limit]


def _exec(req: dict[str, Any]) -> dict[str, Any]:
    env = dict(BASE_ENV)
    env.update(req.get("env") or {})
    stdin_data = base64.b64decode(req["input"]) if req.get("input") is not None else None
    with _cond:
        try:
            proc = subprocess.Popen(
                req["cmd"],
                stdin=subprocess.PIPE if stdin_data is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                # the user's home, even when the caller's env sets another HOME
                cwd=req.get("cwd") or BASE_ENV["HOME"],
                env=env,
                start_new_session=True,  # own process group, so a timeout kills the whole tree
            )
        except (FileNotFoundError, NotADirectoryError) as ex:
            # A missing command is an ordinary failure, as in a shell; a command that may
            # not be run (PermissionError) goes back as an error, as Inspect specifies.
            code = 127 if isinstance(ex, FileNotFoundError) else 126
            return {"rc": code, "stdout": "", "stderr": _b64(f"{ex}\n".encode())}
        _ours.add(proc.pid)
    out, err = bytearray(), bytearray()
    limit = int(req.get("output_limit") or MAX_OUTPUT)
    readers = [
        threading.Thread(target=_drain, args=(proc.stdout, out, limit), daemon=True),
        threading.Thread(target=_drain, args=(proc.stderr, err, limit), daemon=True),
    ]
    for r in readers:
        r.start()
    if stdin_data is not None and proc.stdin is not None:
        try:
            proc.stdin.write(stdin_data)
            proc.stdin.close()
        except BrokenPipeError:
            pass
    timeout = req.get("timeout")
    deadline = None if timeout is None else time.monotonic() + float(timeout)
    timed_out = False
    with _cond:
        while proc.pid not in _status:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                timed_out = True
                break
            _cond.wait(left)
    if timed_out:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        with _cond:
            _cond.wait_for(lambda: proc.pid in _status, 5)
    with _cond:
        rc = _status.pop(proc.pid, 128 + signal.SIGKILL)
        _ours.discard(proc.pid)
    proc.returncode = rc  # we reaped it ourselves; stops Popen from waiting again
    # A background child may keep the pipes open; don't wait for its EOF.
    for r in readers:
        r.join(0.2)
    return {"rc": rc, "stdout": _b64(bytes(out)), "stderr": _b64(bytes(err)), "timeout": timed_out}


def _read(req: dict[str, Any]) -> dict[str, Any]:
    # With a limit, one byte more than it at most: enough to tell the file is too large
    # without sending all of it.
    limit = req.get("limit")
    with open(req["path"], "rb") as f:
        return {"data": _b64(f.read() if limit is None else f.read(int(limit) + 1))}


def _write(req: dict[str, Any]) -> dict[str, Any]:
    path = req["path"]
    parent = os.path.dirname(path)
    if parent:
        try:
            os.makedirs(parent, exist_ok=True)
        except OSError as ex:  # name the file asked for too, not only the directory
            where = f"{ex.strerror} (the directory of {path})"
            raise OSError(ex.errno, where, ex.filename) from ex  # same errno, same subclass
    with open(path, "wb") as f:
        f.write(base64.b64decode(req["data"]))
    if req.get("mode") is not None:
        os.chmod(path, int(req["mode"]))
    return {}


OPS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "exec": _exec,
    "read": _read,
    "write": _write,
    "ping": lambda req: {},
}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _serve(conn: socket.socket) -> None:
    # Closing both ends the connection, which tells the harness the answer is complete.
    with conn, conn.makefile("rwb") as f:
        line = f.readline()
        if not line:
            return
        try:
            req = json.loads(line)
            resp = OPS[req["op"]](req)
        except OSError as ex:
            # Outside /home/user and /tmp the machine is read-only: to the caller, that is
            # a path it may not write, like any other.
            kind = "PermissionError" if ex.errno == errno.EROFS else type(ex).__name__
            resp = {"error": kind, "message": str(ex)}
        except Exception as ex:  # report, never kill PID 1 (that would end the machine)
            resp = {"error": "InitError", "message": f"{type(ex).__name__}: {ex}"}
        f.write(json.dumps(resp).encode() + b"\n")
        f.flush()


def _accept(listener: socket.socket) -> None:
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=_serve, args=(conn,), daemon=True).start()


def main() -> None:
    # Not dumpable: the agent (same uid) cannot ptrace PID 1 or take its socket via /proc/1/fd.
    ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE
    listener = socket.socket(fileno=int(sys.argv[1]))
    os.set_inheritable(listener.fileno(), False)
    rfd, wfd = os.pipe()
    os.set_blocking(wfd, False)
    signal.set_wakeup_fd(wfd)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))  # shutdown: the kernel ends the rest
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    os.chdir(BASE_ENV["HOME"])
    threading.Thread(target=_accept, args=(listener,), daemon=True).start()
    while True:
        select.select([rfd], [], [])
        os.read(rfd, 4096)
        _reap()


if __name__ == "__main__":
    main()
