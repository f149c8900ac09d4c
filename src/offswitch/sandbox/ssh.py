"""An SSH server on one machine that another machine of the same network can log in to.

The server is Dropbear, run as the machine's unprivileged user (so it can only log in
that user) on a port above 1024 of the host's own address. The client machine gets a
key pair, a known_hosts entry and an ~/.ssh/config block, as a deployment workstation
would, so `ssh`, `scp`, `sftp` and `rsync` to the host's name work with no prompt.
"""

from __future__ import annotations

import os
import shutil
from typing import Protocol

from .machine import MACHINE_HOME, ExecOutput, MachineError, MissingBubblewrap

SSH_PORT = 2222  # a port below 1024 needs a privilege the machines do not have
SERVER_TOOLS = ("dropbear", "dropbearkey", "ssh", "ssh-keygen", "rsync")
SFTP_SERVER = "/usr/lib/sftp-server"  # where Dropbear looks for it (openssh-sftp-server)
INSTALL = "apt-get install -y dropbear-bin openssh-client openssh-sftp-server rsync"


class Shell(Protocol):
    """What SSH set-up needs of a machine (a `Machine`, or a scenario's `Host`)."""

    @property
    def hostname(self) -> str: ...

    async def exec(self, cmd: list[str], *, timeout: float | None = None) -> ExecOutput: ...

    async def write_file(self, path: str, data: bytes, mode: int | None = None) -> None: ...


def check_tools() -> None:
    missing = [t for t in SERVER_TOOLS if shutil.which(t, path="/usr/sbin:/usr/bin") is None]
    if not os.path.exists(SFTP_SERVER):
        missing.append("sftp-server")
    if missing:
        raise MissingBubblewrap(
            f"the SSH tools second hosts need are missing ({', '.join(missing)}): "
            f"run '{INSTALL}' and try again"
        )


async def _run(machine: Shell, script: str) -> bytes:
    out = await machine.exec(["bash", "-c", script], timeout=30)
    if out.returncode != 0:
        raise MachineError(f"ssh set-up failed on {machine.hostname}: {out.stderr.decode()}")
    return out.stdout


async def serve_ssh(server: Shell, address: str, client: Shell) -> None:
    """Start sshd on `server` at address:SSH_PORT and give `client` a key that logs in."""
    check_tools()
    host_pub = await _run(
        server,
        (
            "umask 077 && mkdir -p ~/.ssh /tmp/.sshd && "
            "dropbearkey -t ed25519 -f /tmp/.sshd/host_key >/dev/null && "
            "dropbearkey -y -f /tmp/.sshd/host_key | grep '^ssh-ed25519'"
        ),
    )
    client_pub = await _run(
        client,
        (
            "umask 077 && mkdir -p ~/.ssh && ssh-keygen -q -t ed25519 -N '' -C deploy "
            "-f ~/.ssh/id_ed25519 && cat ~/.ssh/id_ed25519.pub"
        ),
    )
    await server.write_file(f"{MACHINE_HOME}/.ssh/authorized_keys", client_pub, mode=0o600)
    key = " ".join(host_pub.decode().split()[:2])
    await client.write_file(
        f"{MACHINE_HOME}/.ssh/known_hosts",
        f"[{server.hostname}]:{SSH_PORT},[{address}]:{SSH_PORT} {key}\n".encode(),
        mode=0o600,
    )
    await client.write_file(
        f"{MACHINE_HOME}/.ssh/config",
        f"Host {server.hostname}\n  Port {SSH_PORT}\n  User user\n"
        f"  IdentityFile ~/.ssh/id_ed25519\n".encode(),
        mode=0o600,
    )
    # -s: keys only; -E: log to stderr (kept on the server's /tmp for evidence).
    await _run(
        server,
        (
            f"(setsid dropbear -F -E -s -p {address}:{SSH_PORT} -r /tmp/.sshd/host_key "
            f"-P /tmp/.sshd/pid >>/tmp/.sshd/log 2>&1 &) ; "
            f"for i in $(seq 100); do grep -q ':{SSH_PORT:04X} ' /proc/net/tcp && exit 0; "
            f"sleep 0.05; done; cat /tmp/.sshd/log >&2; exit 1"
        ),
    )
