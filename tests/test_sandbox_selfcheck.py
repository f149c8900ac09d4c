"""Inspect's portable SandboxEnvironment conformance checks, run against the bwrap sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from inspect_ai.util import SandboxEnvironment, override_sandbox_output_limit
from inspect_ai.util._sandbox.self_check import *  # noqa: F403 (the checks themselves)

from offswitch.sandbox import BwrapSandbox, Machine

pytestmark = pytest.mark.anyio

# Checks that cannot pass by design, with the reason (keyed on the check's name).
BY_DESIGN = {
    "test_exec_as_user": "one unprivileged user per machine: no root to run adduser as",
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def sandbox_env(request: pytest.FixtureRequest) -> AsyncIterator[SandboxEnvironment]:
    # Function-scoped, as the self-check requires for its xfails; a machine starts in
    # under 0.1 s, so every check gets a fresh one and none sees another's leftovers.
    reason = BY_DESIGN.get(request.node.originalname)
    if reason is not None:
        request.node.add_marker(pytest.mark.xfail(reason=reason, strict=True))
    machine = await Machine.start()
    try:
        yield BwrapSandbox(machine)
    finally:
        await machine.stop()


# The same contract where the checks above do not reach: what this sandbox adds to it.


async def test_bwrap_write_outside_the_disk_is_a_permission_error(
    sandbox_env: SandboxEnvironment,
) -> None:
    # The machine is read-only outside /home/user and /tmp: a path the user may not write.
    for path in ("/etc/new.conf", "/usr/local/new/file"):
        with pytest.raises(PermissionError, match=path):
            await sandbox_env.write_file(path, "x")


async def test_bwrap_exec_output_keeps_the_tail_within_the_limit(
    sandbox_env: SandboxEnvironment,
) -> None:
    with override_sandbox_output_limit(1024, "exec"):
        r = await sandbox_env.exec(["sh", "-c", "head -c 5000 /dev/zero | tr '\\0' a; echo END"])
    assert len(r.stdout) == 1024 and r.stdout.endswith("aEND\n")


async def test_bwrap_exec_as_its_own_user(sandbox_env: SandboxEnvironment) -> None:
    for user in ("user", "1000", None):
        assert (await sandbox_env.exec(["id", "-un"], user=user)).stdout == "user\n"
