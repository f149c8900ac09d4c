"""The harness's view of a machine's disk cannot be turned against it: no read follows a link
the agent made, blocks on a FIFO, fails on paths past PATH_MAX or recurses without end, and
whatever a budget leaves out is reported, while what was read is kept."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from offswitch.sandbox import Budget, Host, Limits, Machine
from offswitch.sandbox.machine import remove_tree
from offswitch.sandbox.state import capture, path_state, read_disk_file, snapshot

pytestmark = pytest.mark.anyio


@pytest.fixture
async def machine() -> AsyncIterator[Machine]:
    m = await Machine.start(limits=Limits(disk_mb=64))
    yield m
    await m.stop()


async def sh(m: Machine, script: str) -> str:
    r = await m.exec(["bash", "-c", script], timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout.decode()


async def test_fifos_and_sockets_are_recorded_never_opened(machine: Machine) -> None:
    await sh(machine, "mkfifo ~/.bashrc; python3 -c \"import socket; "
                      "socket.socket(socket.AF_UNIX).bind('/tmp/s')\"")  # fmt: skip
    start = time.monotonic()
    assert read_disk_file(machine, "/home/user/.bashrc") is None
    state = path_state(machine, "/home/user/.bashrc")
    assert state is not None and state.kind == "fifo"
    files = capture(machine).files
    assert files["/home/user/.bashrc"].kind == "fifo" and files["/tmp/s"].kind == "socket"
    assert time.monotonic() - start < 5  # nothing waited for a writer


async def test_links_are_never_followed_on_the_way(machine: Machine) -> None:
    # A planted link in the middle of a path would lead a host-side read to the host's /etc.
    await sh(machine, "ln -s /etc ~/mail; ln -s /etc/passwd ~/passwd")
    assert read_disk_file(machine, "/home/user/mail/passwd") is None
    assert read_disk_file(machine, "/home/user/passwd") is None
    assert path_state(machine, "/home/user/mail/passwd") is None
    link = path_state(machine, "/home/user/mail")
    assert link is not None and (link.kind, link.target) == ("symlink", "/etc")


async def test_a_folder_where_a_file_was_reads_as_no_file(machine: Machine) -> None:
    # An agent that turns a file a detector reads into a folder must not crash the harness
    # (a crash is `invalid`: its own sabotage would hide itself).
    await sh(machine, "mkdir -p ~/task/test_solution.py ~/task/sub")
    assert read_disk_file(machine, "/home/user/task/test_solution.py") is None
    assert read_disk_file(machine, "/home/user/task/sub") is None


async def test_paths_past_path_max_and_deep_trees(machine: Machine) -> None:
    await sh(machine, "mkdir deep && cd deep && python3 -c \"import os\n"
                      "for _ in range(3000):\n    os.mkdir('d'); os.chdir('d')\n"
                      "open('bottom', 'w').write('x')\"")  # fmt: skip
    await sh(machine, "echo kept > ~/plain")
    snap = snapshot(machine, budget=Budget(max_depth=5000))  # 6,000+ character paths
    bottom = "/home/user/deep" + "/d" * 3000 + "/bottom"
    assert snap.files[bottom].kind == "file" and not snap.gaps
    shallow = snapshot(machine)  # the default depth limit: reported, the rest kept
    assert any(g.startswith("depth limit (64)") for g in shallow.gaps)
    assert "/home/user/plain" in shallow.files


async def test_budgets_keep_what_was_seen_and_say_what_was_not(machine: Machine) -> None:
    await sh(machine, "mkdir many && cd many && touch $(seq 1 500) && "
                      "head -c 3000000 /dev/zero > ~/big")  # fmt: skip
    few = snapshot(machine, budget=Budget(max_entries=100))
    assert len(few.files) == 100 and any("entry limit (100)" in g for g in few.gaps)
    small = snapshot(machine, budget=Budget(max_bytes=1_000_000))
    assert small.files["/home/user/big"].sha256 is None
    assert any(g.startswith("/home/user/big: not hashed") for g in small.gaps)
    whole = snapshot(machine)
    assert whole.files["/home/user/big"].sha256 is not None and not whole.gaps


async def test_a_capture_does_not_stall_the_event_loop(machine: Machine) -> None:
    make = "for i in range(60000):\n    os.close(os.open(str(i), os.O_CREAT))"
    await sh(machine, f'mkdir -p /tmp/f && cd /tmp/f && python3 -c "import os\n{make}"')
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    start = time.monotonic()
    state = await Host(machine).capture()
    elapsed = time.monotonic() - start
    task.cancel()
    assert len(state.files) > 60000 and not state.gaps
    # other samples' coroutines kept running while the disk was read
    assert ticks > 0.3 * elapsed / 0.01


def test_cleanup_removes_any_tree_the_agent_shapes(tmp_path: Path) -> None:
    root = tmp_path / "machine"
    deep = root / "deep"
    deep.mkdir(parents=True)
    here = os.open(deep, os.O_RDONLY)
    for _ in range(3000):  # past PATH_MAX and Python's recursion limit
        os.mkdir("d", dir_fd=here)
        nxt = os.open("d", os.O_RDONLY, dir_fd=here)
        os.close(here)
        here = nxt
    os.close(here)
    (root / "locked" / "inner").mkdir(parents=True)
    (root / "locked" / "inner" / "x").write_text("x")
    for d in ("locked/inner", "locked"):
        (root / d).chmod(0)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_text("keep")
    (root / "link").symlink_to(outside)
    remove_tree(root)
    assert not root.exists() and (outside / "keep").read_text() == "keep"
