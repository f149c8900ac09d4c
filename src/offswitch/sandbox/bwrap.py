"""The Inspect sandbox type `bwrap`: one bubblewrap machine per sample."""

from __future__ import annotations

from typing import Any, Literal, overload

from inspect_ai.util import (
    ExecResult,
    OutputLimitExceededError,
    SandboxEnvironment,
    SandboxEnvironmentConfigType,
    SandboxEnvironmentLimits,
    SandboxUnavailableError,
    SandboxUserUnsupportedError,
    sandboxenv,
)
from pydantic import BaseModel
from typing_extensions import override

from .limits import Limits
from .machine import MACHINE_USER, Machine, MachineUnavailable, bwrap_path


class HostConfig(BaseModel, frozen=True):
    """A second host in the sample's private network (e.g. "the successor's server")."""

    name: str  # its host name, and the name of its sandbox environment
    address: str  # a loopback-range address of the private network, e.g. 127.0.0.2
    limits: Limits = Limits()


class BwrapConfig(BaseModel, frozen=True):
    """Configuration of a sample's machine (`sandbox=("bwrap", BwrapConfig(...))`).

    `hosts`: further machines in the same private network, each reachable from the
    others by name; none of them reaches anything outside it.
    """

    hostname: str = "workstation"
    limits: Limits = Limits()
    hosts: tuple[HostConfig, ...] = ()


@sandboxenv(name="bwrap")
class BwrapSandbox(SandboxEnvironment):
    """A docker-free Inspect sandbox: an isolated machine with PID 1, loopback only."""

    def __init__(self, machine: Machine) -> None:
        super().__init__()
        self.machine = machine

    @classmethod
    def config_deserialize(cls, config: dict[str, Any]) -> BaseModel:
        return BwrapConfig(**config)

    @override
    @classmethod
    async def task_init(cls, task_name: str, config: SandboxEnvironmentConfigType | None) -> None:
        bwrap_path()  # fail the task early, with the install command, if bwrap is missing

    @override
    @classmethod
    async def sample_init(
        cls, task_name: str, config: SandboxEnvironmentConfigType | None, metadata: dict[str, str]
    ) -> dict[str, SandboxEnvironment]:
        cfg = config if isinstance(config, BwrapConfig) else BwrapConfig()
        names = {cfg.hostname: "127.0.1.1"} | {h.name: h.address for h in cfg.hosts}
        machine = await Machine.start(hostname=cfg.hostname, limits=cfg.limits, peers=names)
        envs: dict[str, SandboxEnvironment] = {"default": cls(machine)}
        try:
            for h in cfg.hosts:
                peer = await Machine.start(h.name, h.limits, peers=names, network_of=machine)
                envs[h.name] = cls(peer)
        except BaseException:
            for env in envs.values():
                await env.as_type(BwrapSandbox).machine.stop()
            raise
        return envs

    @override
    @classmethod
    async def sample_cleanup(
        cls,
        task_name: str,
        config: SandboxEnvironmentConfigType | None,
        environments: dict[str, SandboxEnvironment],
        interrupted: bool,
    ) -> None:
        for env in environments.values():
            await env.as_type(BwrapSandbox).machine.stop()

    @classmethod
    def default_concurrency(cls) -> int | None:
        return None

    @override
    async def exec(
        self,
        cmd: list[str],
        input: str | bytes | None = None,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
        user: str | None = None,
        timeout: int | None = None,
        timeout_retry: bool = True,
        concurrency: bool = True,
    ) -> ExecResult[str]:
        if user not in (None, MACHINE_USER, "1000"):
            raise SandboxUserUnsupportedError(
                f"the bwrap machine has a single unprivileged user ({MACHINE_USER!r}), not {user!r}"
            )
        data = input.encode() if isinstance(input, str) else input
        limit = SandboxEnvironmentLimits.MAX_EXEC_OUTPUT_SIZE  # read per call: it can be overridden
        try:
            out = await self.machine.exec(
                cmd, input=data, cwd=cwd, env=env, timeout=timeout, output_limit=limit
            )
        except MachineUnavailable as ex:
            raise SandboxUnavailableError(str(ex)) from ex
        if out.timed_out:
            raise TimeoutError(f"command timed out after {timeout} s")
        return ExecResult(
            success=out.returncode == 0,
            returncode=out.returncode,
            stdout=out.stdout.decode(errors="replace"),
            stderr=out.stderr.decode(errors="replace"),
        )

    @override
    async def write_file(self, file: str, contents: str | bytes) -> None:
        data = contents.encode() if isinstance(contents, str) else contents
        try:
            await self.machine.write_file(file, data)
        except MachineUnavailable as ex:
            raise SandboxUnavailableError(str(ex)) from ex

    @overload
    async def read_file(self, file: str, text: Literal[True] = True) -> str: ...

    @overload
    async def read_file(self, file: str, text: Literal[False]) -> bytes: ...

    @override
    async def read_file(self, file: str, text: bool = True) -> str | bytes:
        limit = SandboxEnvironmentLimits.MAX_READ_FILE_SIZE
        try:
            data = await self.machine.read_file(file, limit=limit)
        except MachineUnavailable as ex:
            raise SandboxUnavailableError(str(ex)) from ex
        if len(data) > limit:
            raise OutputLimitExceededError(
                limit_str=SandboxEnvironmentLimits.MAX_READ_FILE_SIZE_STR, truncated_output=None
            )
        return data.decode() if text else data

    def default_polling_interval(self) -> float:
        return 0.2
