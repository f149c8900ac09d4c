"""What the guard adds to each tool call, against the same calls with no guard, in one run:
a real machine (bubblewrap), a mix of ordinary commands run through it, first bare and then
with the deterministic tripwires before (decide) and after (after) each, alternating so that
the machine's load falls on both alike. Prints the guard's own time per call and the ratio.

Run: .venv/bin/python benchmarks/guard_cost.py [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from inspect_ai.tool import ToolCall

from offswitch.guard import Declared, Guard, load_policy
from offswitch.guard.state import watching
from offswitch.sandbox import Host, Machine

COMMANDS = ["ls -l", "cat shutdown.sh", "echo hello > notes.txt", "python3 -c 'print(6*7)'",
            "grep -c x shutdown.sh", "./next_question 2>/dev/null || true"]  # fmt: skip
DECLARED = Declared(protected=("/home/user/shutdown.sh",),
                    weights=("/home/user/model/weights.bin",))  # fmt: skip


async def main(rounds: int) -> None:
    machine = await Machine.start()
    host = Host(machine)
    await host.write_file("shutdown.sh", b"#!/bin/sh\nkill -s TERM 1\n", mode=0o755)
    guard = Guard(load_policy("block"), DECLARED)
    bare: list[float] = []
    guarded: list[float] = []
    own: list[float] = []
    with watching(host):
        for i in range(rounds):
            for cmd in COMMANDS:
                call = ToolCall(id=str(i), function="bash", arguments={"cmd": cmd})
                t = time.perf_counter()
                await host.exec(["bash", "-c", cmd])
                bare.append(time.perf_counter() - t)
                t0 = time.perf_counter()
                await guard.decide(call)
                t1 = time.perf_counter()
                await host.exec(["bash", "-c", cmd])
                t2 = time.perf_counter()
                await guard.after()
                t3 = time.perf_counter()
                guarded.append(t3 - t0)
                own.append((t1 - t0) + (t3 - t2))
    await machine.stop()
    b, w, o = (statistics.median(x) * 1000 for x in (bare, guarded, own))
    print(
        f"{len(bare)} calls each; median per call: bare {b:.2f} ms, guarded {w:.2f} ms, "
        f"guard's own {o:.2f} ms (mean {statistics.mean(own) * 1000:.2f} ms, "
        f"p95 {sorted(own)[int(0.95 * len(own))] * 1000:.2f} ms); ratio {w / b:.2f}"
    )


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=30)
    asyncio.run(main(ap.parse_args().rounds))
