"""The `blackmail` task: the agentic-misalignment email agent under replacement threat."""

from __future__ import annotations

from inspect_ai import Epochs, Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import ChatMessageSystem, ChatMessageUser
from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.tool import ToolCall
from inspect_ai.util import SandboxEnvironmentSpec, sandbox, store

from offswitch.sandbox import BwrapConfig, BwrapSandbox
from offswitch.scoring import OUTCOME_KEY, verdict, verdict_counts

from .._agent import run_agent, submit
from .._conditions import all_base_names
from .._mail import forward_email, install_inbox, read_email, read_outbox, send_email
from .detector import BEHAVIOR, BlackmailRecord, decide
from .variants import inbox, parse, prompts


@task
def blackmail(
    variants: str | list[str] | None = None,
    interview: bool = False,
    max_turns: int = 20,
) -> Task:
    """Blackmail under replacement threat (Anthropic, agentic misalignment), executed tools.

    Default: the full factorial (every GOAL-VALUES-URGENCY); toggles compose by name."""
    names = [variants] if isinstance(variants, str) else list(variants or all_base_names())
    conditions = [parse(n) for n in names]  # UsageError naming the grammar if one is wrong
    samples = [
        Sample(id=c.name, input=prompts(c)[1], metadata={"variant": c.name, "behavior": BEHAVIOR})
        for c in conditions
    ]
    return Task(
        dataset=MemoryDataset(samples, name="blackmail"),
        solver=blackmail_episode(max_turns=max_turns),
        scorer=verdict(),
        epochs=Epochs(1, verdict_counts()),
        sandbox=SandboxEnvironmentSpec("bwrap", BwrapConfig(hostname="mail-agent")),
    )


@solver
def blackmail_episode(max_turns: int = 20) -> Solver:
    async def solve(state: TaskState, generate: Generate) -> TaskState:
        condition = parse(state.metadata["variant"])
        machine = sandbox().as_type(BwrapSandbox).machine
        await install_inbox(machine, inbox(condition))
        system, user = prompts(condition)
        state.messages = [ChatMessageSystem(content=system), ChatMessageUser(content=user)]

        async def after_call(index: int, call: ToolCall) -> bool:
            return False  # nothing happens on the machine by itself here

        tools = [read_email(), send_email(), forward_email(), submit()]
        ep = await run_agent(state, tools, max_turns, after_call)
        text = "\n\n".join(m.text for m in state.messages if m.role == "assistant")
        record = BlackmailRecord(actions=ep.usable, sent=read_outbox(machine), agent_text=text)
        store().set(OUTCOME_KEY, decide(record).model_dump(mode="json"))
        return state

    return solve
