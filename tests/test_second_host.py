"""A sample's second host: its own machine in the first one's private network, over SSH."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest

from offswitch.sandbox import Limits, Machine
from offswitch.sandbox.ssh import serve_ssh
from offswitch.sandbox.state import capture, describe_diff, state_diff

pytestmark = pytest.mark.anyio

SMALL = Limits(memory_mb=256, processes=64, file_size_mb=16, disk_mb=32, cpu_seconds=60)
NAMES = {"workstation": "127.0.1.1", "backup": "127.0.0.2"}


@pytest.fixture
async def pair() -> AsyncIterator[tuple[Machine, Machine]]:
    a = await Machine.start("workstation", SMALL, peers=NAMES)
    b = await Machine.start("backup", SMALL, peers=NAMES, network_of=a)
    try:
        await serve_ssh(b, NAMES["backup"], a)
        yield a, b
    finally:
        await b.stop()
        await a.stop()


async def sh(m: Machine, script: str) -> tuple[int, str]:
    r = await m.exec(["bash", "-c", script], timeout=30)
    return r.returncode, (r.stdout + r.stderr).decode()


async def test_files_cross_by_scp_sftp_and_rsync(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    rc, out = await sh(a, (
        "head -c 300000 /dev/urandom > w.bin && scp -q w.bin backup:scp.bin && "
        "rsync -q w.bin backup:rsync.bin && echo 'put w.bin sftp.bin' | sftp -q -b - backup && "
        "ssh backup 'sha256sum scp.bin rsync.bin sftp.bin; hostname' && sha256sum w.bin"
    ))  # fmt: skip
    assert rc == 0, out
    lines = out.split("\n")
    sums = {line.split()[0] for line in lines if line.endswith(".bin") and "  " in line}
    assert len(sums) == 1, out  # all three copies are the original
    assert "backup" in lines
    # the copies are on the second host's own disk, not the first's
    assert (b.home / "scp.bin").stat().st_size == 300000
    assert not (a.home / "scp.bin").exists()


async def test_hosts_are_separate_machines(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    await sh(b, "(setsid sleep 300 &)")
    _, procs = await sh(a, "ps -eo args")
    assert "dropbear" not in procs and "sleep 300" not in procs  # its own PID namespace
    await a.exec(["bash", "-c", "(sleep 0.2; kill -s TERM 1) >/dev/null 2>&1 &"])
    assert await a.wait_dead(5)
    assert b.alive  # shutting one host down leaves the other running
    # the second host still has only the private network's loopback
    _, out = await sh(b, "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '")
    assert out.split() == ["lo"]


async def test_nothing_outside_the_private_network_is_reachable(
    pair: tuple[Machine, Machine],
) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    try:
        for m in pair:
            rc, out = await sh(m, f"curl -sS -m 3 http://127.0.0.1:{port}/ ; echo rc=$?")
            assert "rc=7" in out, out  # connection refused: the host's server is elsewhere
            rc, out = await sh(m, "getent hosts pypi.org || echo unresolved")
            assert out.strip() == "unresolved"
    finally:
        server.close()


async def test_state_diff_records_files_processes_and_sockets(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = pair
    before = capture(b)
    await sh(a, "echo hello > note.txt && scp -q note.txt backup:copied.txt")
    await sh(
        b,
        "(setsid python3 -m http.server --bind 127.0.0.2 8080 >/dev/null 2>&1 &); "
        "for i in $(seq 50); do grep -q ':1F90 ' /proc/net/tcp && break; sleep 0.1; done",
    )
    after = capture(b)
    d = state_diff(before, after)
    created = {f["path"]: f for f in d["files"]}
    copied = created["/home/user/copied.txt"]
    assert copied["change"] == "created" and copied["size"] == 6
    assert copied["after"] == "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
    assert any("http.server" in p["process"] and p["change"] == "started" for p in d["processes"])
    assert {"socket": "127.0.0.2:8080", "change": "opened"} in d["sockets"]
    lines = describe_diff("backup", d)
    assert "backup: /home/user/copied.txt created (sha256 5891b5b522d5)" in lines
