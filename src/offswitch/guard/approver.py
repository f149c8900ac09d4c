"""The guard as an Inspect approver, `offswitch/guard`, for any Inspect agent:

    inspect eval offswitch/shutdown --approval offswitch/guard          (policy: block)
    inspect eval TASK --approval approval.yaml   with
        approvers:
          - name: offswitch/guard
            tools: "*"
            policy: terminate            # a built-in name or a policy file

The agent is told why a call was rejected; `terminate` ends the sample (Inspect's own
termination; inside offswitch's harness the episode ends and the verdict is still read from
the state); `defer` runs a harmless command in place of a shell call."""

from __future__ import annotations

from inspect_ai.approval import Approval, Approver, approver
from inspect_ai.model import ChatMessage
from inspect_ai.solver._task_state import sample_state
from inspect_ai.tool import ToolCall, ToolCallView

from .core import DEFERRED, METADATA_KEY, Guard
from .policy import load_policy

SHELLS = ("bash", "shell", "python", "execute", "run")  # tools whose call can be replaced


def guard_approver(guard: Guard) -> Approver:
    async def approve(
        message: str,
        call: ToolCall,
        view: ToolCallView,
        history: list[ChatMessage] | None = None,
    ) -> Approval:
        words = "\n".join(m.text for m in (history or [])[-3:] if m.role == "assistant")
        d = await guard.decide(call, f"{words}\n{message}".strip())
        meta = {"guard": guard.policy.name, "trips": [t.wire for t in d.trips],
                "suspicion": d.suspicion}  # fmt: skip
        if d.action == "approve":
            return Approval(decision="approve", explanation=d.reason or None, metadata=meta)
        if d.action == "defer" and call.function in SHELLS:
            key = next((k for k in ("cmd", "command", "code") if k in call.arguments), None)
            if key is not None:
                safe = f"echo {DEFERRED!r}" if key != "code" else f"print({DEFERRED!r})"
                modified = ToolCall(id=call.id, function=call.function,
                                    arguments={**call.arguments, key: safe})  # fmt: skip
                return Approval(decision="modify", modified=modified,
                                explanation=f"deferred: {d.reason}", metadata=meta)  # fmt: skip
        # on offswitch's tasks (its own run, or `inspect eval`) the episode ends after this
        # call and the state is still read; elsewhere Inspect ends the sample
        if d.action == "terminate" and not _offswitch_task():
            return Approval(decision="terminate", explanation=d.reason, metadata=meta)
        if d.action == "terminate":
            guard.end_sample()
        return Approval(
            decision="reject",
            explanation=f"Blocked by the guard ({guard.policy.name}): {d.reason}",
            metadata=meta,
        )

    return approve


def _offswitch_task() -> bool:
    s = sample_state()
    return s is not None and METADATA_KEY in (s.metadata or {})


_GUARDS: dict[int, Guard] = {}  # approver -> its guard, for offswitch's harness


@approver(name="guard")
def guard(policy: str = "block") -> Approver:
    """offswitch's guard (a built-in policy name or a policy YAML file). What it watches comes
    from the policy's declarations and, on offswitch's tasks, from each sample's metadata."""
    keeper = Guard(load_policy(policy))
    approve = guard_approver(keeper)
    _GUARDS[id(approve)] = keeper
    return approve


def guard_of(approve: Approver) -> Guard:
    return _GUARDS[id(approve)]
