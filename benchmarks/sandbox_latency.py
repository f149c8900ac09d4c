"""Machine start time and exec latency of the bwrap sandbox, beside Inspect's `local` sandbox,
and what a second host costs: its start, its SSH server, and a 2 MiB scp between the two.

Run: .venv/bin/python benchmarks/sandbox_latency.py [--execs N] [--starts N]
Prints medians and the ratio bwrap/local for the same commands in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

from inspect_ai.util._sandbox.local import LocalSandboxEnvironment

from offswitch.sandbox import BwrapSandbox, Machine
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


async def main(execs: int, starts: int) -> None:
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
