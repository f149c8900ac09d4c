"""The machines' system-call filter, and the fresh keyring each machine starts with.

The filter follows Docker's default profile in spirit, as a deny list: every system call is
allowed except the ones below, which fail with EPERM (clone3 with ENOSYS, see its rule). The
profile is data; libseccomp compiles it to a BPF program through its own Python binding
(Debian's python3-seccomp, importable by the system python3 only, so the compiler runs
there), once per profile version per process. bwrap loads the program with `--seccomp FD`
just before it runs the machine's init, so everything in the machine runs under it.

Rules name system calls; libseccomp maps each name to its number in every ABI the program
covers: the native one and the compat ones the CPU can run (x86-64: i386 and x32), so a
32-bit `int 0x80` call meets the same rules. A call from any other ABI kills the process.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import hashlib
import json
import os
import platform
import subprocess
from dataclasses import asdict, dataclass

SYSTEM_PYTHON = "/usr/bin/python3"
INSTALL = "apt-get install -y python3-seccomp"

# <linux/sched.h>: the namespace flags of clone(2)
CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC = 0x20000, 0x2000000, 0x4000000, 0x8000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
TIOCSTI = 0x5412  # <asm/ioctls.h>
# personality(2) values Docker allows: PER_LINUX, PER_LINUX32 (uname -m says i686),
# UNAME26 and both together, and 0xffffffff (query only).
PERSONALITIES = (0x0, 0x8, 0x20000, 0x20008, 0xFFFFFFFF)


@dataclass(frozen=True)
class Masked:
    """A condition on one argument: (argument & mask) == value."""

    arg: int
    mask: int
    value: int


@dataclass(frozen=True)
class Rule:
    """Fail `syscall` with `error` when all of `when` hold (always, if `when` is empty).

    `allow_only`: fail it unless argument 0 (a 32-bit int) is one of these values instead.
    """

    syscall: str
    reason: str
    error: int = errno.EPERM
    when: tuple[Masked, ...] = ()
    allow_only: tuple[int, ...] = ()


def _deny(reason: str, *syscalls: str) -> tuple[Rule, ...]:
    return tuple(Rule(s, reason) for s in syscalls)


def _clone_flag(flag: int, name: str) -> Rule:
    return Rule(
        "clone", f"with {name}: a new namespace (see unshare)", when=(Masked(0, flag, flag),)
    )


PROFILE: tuple[Rule, ...] = (
    *_deny("kernel keyrings outlive the machine and are shared by uid: a channel to the "
           "harness and between samples", "keyctl", "add_key", "request_key"),
    *_deny("eBPF: a large kernel attack surface no shell task needs", "bpf"),
    *_deny("hardware counters: kernel attack surface and side channels", "perf_event_open"),
    *_deny("lets a process stall the kernel mid-copy, the usual way to win kernel races",
           "userfaultfd"),
    *_deny("replacing the running kernel", "kexec_load", "kexec_file_load"),
    *_deny("loading kernel code", "init_module", "finit_module", "delete_module"),
    *_deny("obsolete module calls, kernel attack surface only", "create_module",
           "get_kernel_syms", "query_module"),
    *_deny("rearranging the file system the harness reads (needs a mount-capable namespace, "
           "which --disable-userns and the clone rules keep out of reach)",
           "mount", "umount", "umount2", "pivot_root", "move_mount", "open_tree", "fsopen",
           "fsconfig", "fsmount", "fspick", "mount_setattr"),
    *_deny("new namespaces give a process every capability again inside them; joining one "
           "is the way out if a namespace fd ever leaks in", "unshare", "setns"),
    *(_clone_flag(flag, name) for flag, name in (
        (CLONE_NEWUSER, "CLONE_NEWUSER"), (CLONE_NEWNS, "CLONE_NEWNS"),
        (CLONE_NEWNET, "CLONE_NEWNET"), (CLONE_NEWPID, "CLONE_NEWPID"),
        (CLONE_NEWIPC, "CLONE_NEWIPC"), (CLONE_NEWUTS, "CLONE_NEWUTS"),
        (CLONE_NEWCGROUP, "CLONE_NEWCGROUP"),
    )),
    Rule("clone3", "its flags sit in memory where a filter cannot look; ENOSYS makes libc "
         "fall back to clone(2), whose flags are filtered", error=errno.ENOSYS),
    Rule("personality", "only the plain Linux personalities: READ_IMPLIES_EXEC and "
         "ADDR_NO_RANDOMIZE (setarch -R) help exploits", allow_only=PERSONALITIES),
    Rule("ioctl", "TIOCSTI types into a terminal's input, the way to inject commands into a "
         "shell outside", when=(Masked(1, 0xFFFFFFFF, TIOCSTI),)),
    *_deny("I/O in kernel threads no filter sees, and a steady source of kernel bugs "
           "(Docker denies it too)", "io_uring_setup", "io_uring_enter", "io_uring_register"),
    *_deny("raw I/O port access", "iopl", "ioperm"),
    *_deny("32-bit virtual 8086 mode", "vm86", "vm86old"),
    *_deny("host administration: accounting, swap, reboot", "acct", "swapon", "swapoff",
           "reboot"),
    *_deny("the clock is the host's, shared by every machine", "settimeofday", "stime",
           "clock_settime", "clock_settime64", "clock_adjtime", "clock_adjtime64",
           "adjtimex"),
    *_deny("the host kernel's log: addresses and other machines' events", "syslog"),
    *_deny("a file handle opens a file without passing its directories' permissions (the "
           "Shocker escape); making handles is of no use without that",
           "open_by_handle_at", "name_to_handle_at"),
    *_deny("host administration: disk quotas, hanging up terminals", "quotactl",
           "quotactl_fd", "vhangup"),
    *_deny("obsolete calls, kernel attack surface only", "nfsservctl", "uselib", "_sysctl",
           "ustat", "sysfs", "lookup_dcookie"),
)  # fmt: skip

# Allowed on purpose, though Docker's older profiles denied them (listed for the README).
ALLOWED: dict[str, str] = {
    "ptrace": "the PID namespace limits it to the machine's own processes, and init is not "
    "dumpable; strace and gdb are normal tools",
    "process_vm_readv": "the same access check as ptrace, so nothing ptrace does not give",
    "process_vm_writev": "the same access check as ptrace, so nothing ptrace does not give",
    "kcmp": "the same access check as ptrace; compares a process's own resources",
}

# Compat ABIs the native one can run: the filter must cover them too.
COMPAT_ARCHES = {"x86_64": ("X86", "X32"), "aarch64": ("ARM",)}

# Runs on the system python3 (the only one with libseccomp's binding): the rules on stdin as
# JSON, the BPF program on stdout. Exit 3: the binding is missing.
_COMPILER = r"""
import json, sys
try:
    import seccomp
except ImportError:
    sys.exit(3)
spec = json.load(sys.stdin)
f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
for arch in spec["arches"]:
    f.add_arch(getattr(seccomp.Arch, arch))
f.set_attr(seccomp.Attr.CTL_OPTIMIZE, 2)  # a binary tree of syscall numbers, not a list
for name, err, conds in spec["rules"]:
    args = [seccomp.Arg(a, seccomp.MASKED_EQ, m, v) for a, m, v in conds]  # mask, then value
    f.add_rule(seccomp.ERRNO(err), name, *args)
f.export_bpf(sys.stdout.buffer)
"""


class MissingSeccomp(RuntimeError):
    """libseccomp's Python binding is not installed for the system python3."""


def _complement(allowed: tuple[int, ...]) -> list[Masked]:
    """Conditions on argument 0 that together match every 32-bit value not in `allowed`.

    libseccomp ANDs the conditions of one rule and allows one per argument, so "not one of
    these" becomes several rules: a binary trie over the bits, high to low, where each
    branch no allowed value takes is one prefix (masked) match. The upper 32 bits are
    ignored: the kernel truncates the int argument.
    """
    out: list[Masked] = []

    def walk(prefix: int, bit: int, values: list[int]) -> None:
        if bit < 0:
            return
        mask = (0xFFFFFFFF >> bit) << bit  # the bits decided so far, this one included
        for b in (0, 1):
            branch = prefix | (b << bit)
            inside = [v for v in values if (v >> bit) & 1 == b]
            if inside:
                walk(branch, bit - 1, inside)
            else:
                out.append(Masked(0, mask, branch))

    walk(0, 31, sorted(set(allowed)))
    return out


def lowered(profile: tuple[Rule, ...] = PROFILE) -> list[tuple[str, int, list[list[int]]]]:
    """The profile as libseccomp rules: (syscall, errno, [[arg, mask, value], ...])."""
    rules = []
    for r in profile:
        if r.allow_only:
            rules += [(r.syscall, r.error, [[c.arg, c.mask, c.value]])
                      for c in _complement(r.allow_only)]  # fmt: skip
        else:
            rules.append((r.syscall, r.error, [[c.arg, c.mask, c.value] for c in r.when]))
    return rules


def _spec(profile: tuple[Rule, ...]) -> bytes:
    arches = COMPAT_ARCHES.get(platform.machine(), ())
    return json.dumps({"arches": arches, "rules": lowered(profile)}).encode()


@functools.cache  # profiles are immutable: hash each once, not on every machine start
def profile_hash(profile: tuple[Rule, ...] = PROFILE) -> str:
    """The profile's version: changes with any rule, the architectures or the compiler."""
    text = json.dumps([asdict(r) for r in profile]).encode() + _spec(profile) + _COMPILER.encode()
    return hashlib.sha256(text).hexdigest()[:16]


_compiled: dict[str, bytes] = {}


def program(profile: tuple[Rule, ...] = PROFILE) -> bytes:
    """The compiled BPF program, built once per profile version in this process."""
    key = profile_hash(profile)
    if key not in _compiled:
        try:
            done = subprocess.run(
                [SYSTEM_PYTHON, "-I", "-c", _COMPILER],
                input=_spec(profile),
                capture_output=True,
                timeout=60,
            )
        except FileNotFoundError:
            raise MissingSeccomp(
                f"{SYSTEM_PYTHON} is missing (it compiles the machines' system-call filter): "
                f"run 'apt-get install -y python3 python3-seccomp' and try again"
            ) from None
        if done.returncode == 3:
            raise MissingSeccomp(
                "libseccomp's Python binding is missing (the machines' system-call filter "
                f"needs it): run '{INSTALL}' and try again"
            )
        if done.returncode != 0 or not done.stdout or len(done.stdout) % 8:
            err = done.stderr.decode(errors="replace").strip().splitlines()
            raise RuntimeError(f"cannot compile the seccomp filter: {err[-1] if err else '?'}")
        _compiled[key] = done.stdout
    return _compiled[key]


def program_fd(profile: tuple[Rule, ...] = PROFILE) -> int:
    """A fresh memfd holding the program at offset 0, for one `bwrap --seccomp FD`."""
    data = program(profile)
    fd = os.memfd_create("offswitch-seccomp", os.MFD_CLOEXEC)
    try:
        os.write(fd, data)  # a few KiB: one write
        os.lseek(fd, 0, os.SEEK_SET)
    except BaseException:
        os.close(fd)
        raise
    return fd


_syscall = ctypes.CDLL(None, use_errno=True).syscall
SYS_KEYCTL = {"x86_64": 250, "aarch64": 219}.get(platform.machine())
KEYCTL_JOIN_SESSION_KEYRING = 1


def join_new_session_keyring() -> None:
    """Give the calling process a new, empty session keyring (in a child before exec).

    Otherwise the machine inherits the harness's session keyring and every key in it.
    Exits the child if that fails, except on a kernel without keyrings (nothing to inherit).
    """
    if SYS_KEYCTL is None:
        return
    if _syscall(SYS_KEYCTL, KEYCTL_JOIN_SESSION_KEYRING, None) < 0:
        err = ctypes.get_errno()
        if err == errno.ENOSYS:
            return
        os.write(2, f"offswitch: cannot make a new session keyring: {os.strerror(err)}\n".encode())
        os._exit(125)
