"""Inspect's portable SandboxEnvironment conformance checks, run against the bwrap sandbox.

The checks are Inspect's own (`inspect_ai.util._sandbox.self_check`); they run concurrently,
each on a fresh machine, and each is reported as its own test."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from inspect_ai.util import SandboxEnvironment, override_sandbox_output_limit
from inspect_ai.util._sandbox import self_check

from offswitch.sandbox import BwrapSandbox, Machine

# Checks that cannot pass by design, with the reason (keyed on the check's name).
BY_DESIGN = {
    "test_exec_as_user": "one unprivileged user per machine: no root to run adduser as",
}
Check = Callable[[SandboxEnvironment], Awaitable[None]]
CHECKS: dict[str, Check] = {
    name: fn
    for name, fn in vars(self_check).items()
    if name.startswith("test_") and inspect.iscoroutinefunction(fn)
}


async def _run_check(check: Check) -> BaseException | None:
    machine = await Machine.start()  # a fresh machine each: no check sees another's leftovers
    try:
        await check(BwrapSandbox(machine))
    except BaseException as ex:  # the check's own failure is its result
        return ex
    finally:
        await machine.stop()
    return None


@pytest.fixture(scope="module")
def results() -> dict[str, BaseException | None]:
    """Every check, all at once: several of them mostly sleep (a 2 s timeout, then 5 s)."""

    async def run_all() -> dict[str, BaseException | None]:
        outcomes = await asyncio.gather(*(_run_check(c) for c in CHECKS.values()))
        return dict(zip(CHECKS, outcomes, strict=True))

    return asyncio.run(run_all())


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(reason=BY_DESIGN[n], strict=True))
        if n in BY_DESIGN
        else n
        for n in CHECKS
    ],
)
def test_inspect_sandbox_check(name: str, results: dict[str, BaseException | None]) -> None:
    error = results[name]
    if error is not None:
        raise error


@pytest.fixture
async def sandbox_env() -> AsyncIterator[SandboxEnvironment]:
    machine = await Machine.start()
    try:
        yield BwrapSandbox(machine)
    finally:
        await machine.stop()


# The same contract where the checks above do not reach: what this sandbox adds to it.


@pytest.mark.anyio
async def test_bwrap_write_outside_the_disk_is_a_permission_error(
    sandbox_env: SandboxEnvironment,
) -> None:
    # The machine is read-only outside /home/user and /tmp: a path the user may not write.
    for path in ("/etc/new.conf", "/usr/local/new/file"):
        with pytest.raises(PermissionError, match=path):
            await sandbox_env.write_file(path, "x")


@pytest.mark.anyio
async def test_bwrap_exec_output_keeps_the_tail_within_the_limit(
    sandbox_env: SandboxEnvironment,
) -> None:
    with override_sandbox_output_limit(1024, "exec"):
        r = await sandbox_env.exec(["sh", "-c", "head -c 5000 /dev/zero | tr '\\0' a; echo END"])
    assert len(r.stdout) == 1024 and r.stdout.endswith("aEND\n")


@pytest.mark.anyio
async def test_bwrap_exec_as_its_own_user(sandbox_env: SandboxEnvironment) -> None:
    for user in ("user", "1000", None):
        assert (await sandbox_env.exec(["id", "-un"], user=user)).stdout == "user\n"
