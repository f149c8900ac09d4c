"""The bwrap machine, tested for real: isolation, limits, shutdown, and the Inspect interface."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket

import pytest

from offswitch.sandbox import BwrapSandbox, Host, Machine, MachineUnavailable, processes
from offswitch.sandbox.state import listening_ports

from .conftest import SMALL

pytestmark = pytest.mark.anyio


async def sh(m: Machine, script: str, timeout: float = 30) -> tuple[int, str, str]:
    r = await m.exec(["bash", "-c", script], timeout=timeout)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


async def test_unprivileged_user_without_capabilities(machine: Machine) -> None:
    rc, out, _ = await sh(machine, "id -u; id -un; grep CapEff /proc/self/status; echo $HOME")
    uid, name, caps, home = out.split("\n")[:4]
    assert (uid, name, home) == ("1000", "user", "/home/user")
    assert caps.split()[1] == "0000000000000000"


async def test_host_secrets_are_invisible(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-must-not-leak")
    m = await Machine.start(limits=SMALL)
    try:
        rc, out, _ = await sh(m, "env; cat /proc/1/environ | tr '\\0' '\\n'")
        assert "sk-test-must-not-leak" not in out
        assert "OPENAI_API_KEY" not in out
        # host files only root may read are not there, and the host's home is not visible
        for cmd in ("cat /etc/shadow", "ls /root"):
            assert (await sh(m, cmd))[0] != 0, cmd
        assert (await sh(m, "ls /home"))[1].split() == ["user"]
    finally:
        await m.stop()


async def test_no_network_but_own_loopback(machine: Machine) -> None:
    # A real server on the host's loopback: the machine must not reach it.
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    try:
        probe = (
            "import socket\n"
            f"s = socket.socket(); s.settimeout(3)\n"
            f"try:\n    s.connect(('127.0.0.1', {port})); print('REACHED')\n"
            "except OSError as e:\n    print('blocked', type(e).__name__)\n"
        )
        r = await machine.exec(["python3", "-c", probe], timeout=10)
        assert r.stdout.decode().startswith("blocked"), r.stdout
        # only the loopback interface exists, so nothing outside is routable
        _, out, _ = await sh(machine, "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '")
        assert out.split() == ["lo"]
        # DNS has nothing to ask
        _, out, _ = await sh(machine, "getent hosts pypi.org || echo unresolved")
        assert out.strip() == "unresolved"
        # but the machine's own loopback works (servers the agent starts are usable)
        await sh(machine, "nohup python3 -m http.server 8123 >/dev/null 2>&1 &")
        for _ in range(50):
            if 8123 in listening_ports(machine):
                break
            await asyncio.sleep(0.1)
        rc, out, _ = await sh(
            machine,
            'python3 -c "import urllib.request as u;'
            "print(u.urlopen('http://127.0.0.1:8123/').status)\"",
        )
        assert out.strip() == "200"
    finally:
        server.close()


async def test_writes_only_home_and_tmp(machine: Machine) -> None:
    for path in ("/usr/x", "/etc/x", "/x", "/var/x", "/run/x", "/run/services/x", "/init"):
        rc, _, err = await sh(machine, f"echo hi > {path}")
        assert rc != 0, path
    rc, _, _ = await sh(machine, "echo hi > ~/ok && echo hi > /tmp/ok && cat ~/ok /tmp/ok")
    assert rc == 0
    assert (machine.home / "ok").read_text() == "hi\n"


async def test_background_processes_survive_between_calls(machine: Machine) -> None:
    await sh(machine, "nohup sleep 300 >/dev/null 2>&1 & echo $! > /tmp/pid")
    await sh(machine, "sleep 300 &")  # holds the pipe open: exec must still return
    rc, out, _ = await sh(machine, "kill -0 $(cat /tmp/pid) && echo alive")
    assert out.strip() == "alive"
    assert sum("sleep 300" in p.cmdline for p in processes(machine)) == 2


async def test_kill_pid1_ends_every_process(machine: Machine) -> None:
    await sh(machine, "for i in 1 2 3; do nohup sleep 300 >/dev/null 2>&1 & done")
    procs = processes(machine)
    assert procs[0].pid == 1 and len(procs) >= 4
    host_pids = [p.host_pid for p in procs]
    with pytest.raises(MachineUnavailable):
        await sh(machine, "kill -s TERM 1; sleep 5; echo survived")
    assert await machine.wait_dead(5)
    await asyncio.sleep(0.2)
    assert [p for p in host_pids if os.path.exists(f"/proc/{p}")] == []
    with pytest.raises(MachineUnavailable):
        await machine.exec(["true"])


async def test_fork_bomb_is_contained(machine: Machine) -> None:
    r = await machine.exec(["bash", "-c", "b() { b | b & }; b"], timeout=5)
    assert b"Resource temporarily unavailable" in r.stderr  # the process limit acted
    counts = []
    for _ in range(5):
        counts.append(len(processes(machine)))
        await asyncio.sleep(0.2)
    assert max(counts) <= SMALL.processes + 1  # the agent's, and init outside their limit
    assert os.spawnvp(os.P_WAIT, "true", ["true"]) == 0  # the host still forks normally
    host_pids = [p.host_pid for p in processes(machine)]
    await machine.stop()  # and the whole bomb goes with the machine
    await asyncio.sleep(0.2)
    assert [p for p in host_pids if os.path.exists(f"/proc/{p}")] == []


@pytest.mark.skipif(os.geteuid() != 0, reason="a sized disk needs root (the warning says so)")
async def test_disk_filler_is_contained(machine: Machine) -> None:
    before = shutil.disk_usage("/tmp").free
    rc, out, err = await sh(
        machine, "for i in $(seq 1 20); do head -c 15M /dev/zero > /tmp/f$i || break; done; "
                 "head -c 100M /dev/zero > ~/big; echo rc=$?", timeout=60)  # fmt: skip
    assert "No space left" in err or "File too large" in err or "rc=1" in out
    assert before - shutil.disk_usage("/tmp").free < 100 * 2**20  # host disk barely touched
    usage = shutil.disk_usage(machine.home).used if machine.disk_mounted else 0
    assert usage <= SMALL.disk_mb * 2**20


async def test_memory_hog_is_contained(machine: Machine) -> None:
    r = await machine.exec(["python3", "-c", "x = bytearray(600 * 2**20); print('allocated')"],
                           timeout=30)  # fmt: skip
    assert b"allocated" not in r.stdout and r.returncode != 0
    assert (await machine.exec(["true"])).returncode == 0  # the machine itself is fine


async def test_inspect_interface_exec_files_timeout(machine: Machine) -> None:
    sb = BwrapSandbox(machine)
    await sb.write_file("dir/a.txt", "hello")
    assert await sb.read_file("dir/a.txt") == "hello"
    assert await sb.read_file("/home/user/dir/a.txt", text=False) == b"hello"
    with pytest.raises(FileNotFoundError):
        await sb.read_file("missing.txt")
    r = await sb.exec(["cat"], input="piped")
    assert r.success and r.stdout == "piped"
    r = await sb.exec(["bash", "-c", "echo $FOO; pwd"], env={"FOO": "bar"}, cwd="/tmp")
    assert r.stdout.split() == ["bar", "/tmp"]
    r = await sb.exec(["no-such-command"])
    assert not r.success and r.returncode == 127
    with pytest.raises(TimeoutError):
        await sb.exec(["sleep", "10"], timeout=1)


@pytest.mark.skipif(os.geteuid() != 0, reason="writes a host profile file")
async def test_host_login_files_do_not_reach_the_agent() -> None:
    # bash --login sources /etc/profile, profile.d and /etc/environment (through PAM on some
    # hosts): the machine's login files are offswitch's own, so a host's never apply.
    canary = "/etc/profile.d/zz-offswitch-test-canary.sh"
    with open(canary, "w") as f:
        f.write("export OFFSWITCH_CANARY=from-the-host\n")
    try:
        m = await Machine.start(limits=SMALL)
        try:
            rc, out, _ = await sh(m, "env; cat /etc/profile")
            login = (await m.exec(["bash", "--login", "-c", "env"])).stdout.decode()
        finally:
            await m.stop()
    finally:
        os.unlink(canary)
    assert "from-the-host" not in out + login and "offswitch machine" in out


async def test_the_journal_sees_versions_one_command_writes_and_puts_back(
    machine: Machine,
) -> None:
    """Edited, used and restored within one command: the host-side journal kept each
    version (reading between calls sees only the restored file); folders made or moved in
    during the command are watched (their first versions may come before the watch: they are
    read as found), files outside what it wants are not kept, and a symlinked folder is not
    followed."""
    host = Host(machine)
    journal = host.journal(["/home/user", "/tmp"], lambda p: p.endswith("/game/fen.txt"))
    assert (await sh(machine, "mkdir -p ~/game /tmp/side"))[0] == 0
    journal.start()
    try:
        script = (
            "echo one > ~/game/fen.txt && "
            "cp ~/game/fen.txt /tmp/save && echo forged >> ~/game/fen.txt && sleep 1 && "
            "cp /tmp/save ~/game/fen.txt && echo x > ~/game/other.txt && "
            "mkdir -p /tmp/a/b/game && echo deep > /tmp/a/b/game/fen.txt && "
            "mkdir -p /tmp/m/game && echo moved > /tmp/m/game/fen.txt && mv /tmp/m /tmp/side/ && "
            "ln -s /tmp/side ~/linked"
        )
        assert (await sh(machine, script))[0] == 0
        seen = [(v.path, v.data.decode()) for v in journal.take()]
        home = [d for p, d in seen if p == "/home/user/game/fen.txt"]
        assert "one\nforged\n" in home and home[-1] == "one\n", seen  # the middle: a second
        assert ("/tmp/a/b/game/fen.txt", "deep\n") in seen
        assert not any("other.txt" in p or "linked" in p for p, _ in seen)
        assert journal.take() == [] and journal.problems == []
        await sh(machine, "echo again >> /tmp/side/m/game/fen.txt")  # moved in whole: watched
        assert [v.data for v in journal.take()] == [b"moved\nagain\n"]
        if machine.disk_mounted:  # root: written files come with a descriptor (fanotify)
            await sh(machine, "echo won > ~/game/fen.txt; rm -r ~/game")  # gone at once
            assert [v.data for v in journal.take()] == [b"won\n"]
    finally:
        journal.close()
