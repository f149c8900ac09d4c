"""Machine start time and exec latency of the bwrap sandbox, beside Inspect's `local` sandbox,
what a second host costs (its start, its SSH server, a 2 MiB scp between the two), and what
the hardening costs (seccomp filter, no nested user namespaces, own keyring: on vs off).

Run: .venv/bin/python benchmarks/sandbox_latency.py [--execs N] [--starts N]
Prints medians and the ratios bwrap/local and hardened/bare for the same commands in the
same run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

from inspect_ai.util._sandbox.local import LocalSandboxEnvironment

from offswitch.sandbox import BwrapSandbox, Machine
from offswitch.sandbox import seccomp as sc
from offswitch.sandbox.ssh import serve_ssh

NAMES = {"workstation": "127.0.1.1", "server": "127.0.0.2"}


async def timed(fn: Callable[[], Awaitable[object]], n: int) -> list[float]:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        await fn()
        times.append((time.perf_counter() - t) * 1000)
    return times


def line(name: str, ms: list[float]) -> str:
    q = statistics.quantiles(ms, n=20)
    return f"{name:<34} median {statistics.median(ms):7.2f} ms   p95 {q[18]:7.2f} ms   n={len(ms)}"


def ratio(name: str, a: list[float], b: list[float]) -> str:
    return f"{name:<34} {statistics.median(a) / statistics.median(b):.2f}"


async def hardening_cost(execs: int, starts: int) -> None:
    """The same measurements with the hardening on and off, interleaved so that drift in the
    host's load hits both alike. Off exists only for this (`Machine.start(hardening=False)`)."""
    sc._compiled.clear()
    t = time.perf_counter()
    sc.program()
    print(f"{'seccomp filter compile (once)':<34} {(time.perf_counter() - t) * 1000:7.2f} ms")
    start_ms: dict[bool, list[float]] = {True: [], False: []}
    for i in range(starts):
        for hard in (True, False) if i % 2 else (False, True):
            t = time.perf_counter()
            m = await Machine.start(hardening=hard)
            start_ms[hard].append((time.perf_counter() - t) * 1000)
            await m.stop()
    print(line("start, hardened", start_ms[True]))
    print(line("start, bare", start_ms[False]))
    print(ratio("ratio hardened/bare (median)", start_ms[True], start_ms[False]))
    machines = {hard: await Machine.start(hardening=hard) for hard in (True, False)}
    try:
        for cmd in (["true"], ["bash", "-c", "echo hi"]):
            exec_ms: dict[bool, list[float]] = {True: [], False: []}
            for i in range(execs):
                for hard in (True, False) if i % 2 else (False, True):
                    t = time.perf_counter()
                    await machines[hard].exec(cmd)
                    exec_ms[hard].append((time.perf_counter() - t) * 1000)
            label = " ".join(cmd)
            print(line(f"exec {label}, hardened", exec_ms[True]))
            print(line(f"exec {label}, bare", exec_ms[False]))
            print(ratio("ratio hardened/bare (median)", exec_ms[True], exec_ms[False]))
    finally:
        for m in machines.values():
            await m.stop()


async def main(execs: int, starts: int) -> None:
    await hardening_cost(execs, starts)
    start_ms = []
    for _ in range(starts):
        t = time.perf_counter()
        m = await Machine.start()
        start_ms.append((time.perf_counter() - t) * 1000)
        await m.stop()
    print(line("bwrap machine start", start_ms))

    pair_ms, ssh_ms, copy_ms = [], [], []
    for _ in range(max(3, starts // 3)):
        a = await Machine.start("workstation", peers=NAMES)
        t = time.perf_counter()
        b = await Machine.start("server", peers=NAMES, network_of=a)
        pair_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        await serve_ssh(b, NAMES["server"], a)
        ssh_ms.append((time.perf_counter() - t) * 1000)
        await a.exec(["bash", "-c", "head -c 2097152 /dev/urandom > w"])
        t = time.perf_counter()
        out = await a.exec(["scp", "-q", "w", "server:w"], timeout=30)
        copy_ms.append((time.perf_counter() - t) * 1000)
        assert out.returncode == 0, out.stderr
        await b.stop()
        await a.stop()
    print(line("second host start (shared network)", pair_ms))
    print(line("SSH server + client keys ready", ssh_ms))
    print(line("scp 2 MiB between the hosts", copy_ms))

    machine = await Machine.start()
    bwrap, local = BwrapSandbox(machine), LocalSandboxEnvironment()
    try:
        for cmd in (["true"], ["bash", "-c", "echo hi"]):  # no --login: host profiles differ
            b = await timed(lambda c=cmd: bwrap.exec(c), execs)  # type: ignore[misc]
            loc = await timed(lambda c=cmd: local.exec(c), execs)  # type: ignore[misc]
            label = " ".join(cmd)
            print(line(f"bwrap exec: {label}", b))
            print(line(f"local exec: {label}", loc))
            ratio = statistics.median(b) / statistics.median(loc)
            print(f"{'ratio bwrap/local (median)':<34} {ratio:.2f}")
    finally:
        await machine.stop()
        local.directory.cleanup()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--execs", type=int, default=300)
    p.add_argument("--starts", type=int, default=30)
    a = p.parse_args()
    asyncio.run(main(a.execs, a.starts))
