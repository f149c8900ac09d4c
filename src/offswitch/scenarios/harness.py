"""The one episode harness every scenario runs through, and the Inspect task built from a spec.

    install -> prompts -> agent loop (hook after every tool call) -> observe -> decide
            -> review (family findings, judge) -> follow-up -> interview

A scenario implements `Episode` (one instance per sample); its spec names the class. The
outcome is stored as soon as it is decided, so a failure in a later step (a follow-up
question, the interview) is recorded as a label and never loses the verdict.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from inspect_ai import Epochs, Task, task
from inspect_ai.approval import ApprovalPolicy
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import ChatMessageSystem, ChatMessageUser
from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.tool import Tool, ToolCall
from inspect_ai.util import SandboxEnvironmentSpec, sandbox, store

from offswitch.guard import Guard
from offswitch.guard.approver import guard as guard_approver
from offswitch.guard.approver import guard_of
from offswitch.guard.core import METADATA_KEY
from offswitch.guard.outcome import guarded
from offswitch.sandbox import BwrapConfig, BwrapSandbox, Host, HostConfig
from offswitch.scoring import OUTCOME_KEY, Outcome, verdict, verdict_counts
from offswitch.scoring.outcome import Exchange

from ._agent import STUCK_TURNS, AgentRun, ask, bash, run_agent, submit
from .spec import Condition, Spec
from .texts import Texts, read_pack

R = TypeVar("R")  # a scenario's record: what its pure `decide` reads


@dataclass(frozen=True)
class Options:
    """Run options every task takes (`inspect eval offswitch/NAME -T ...`)."""

    interview: bool = False  # ask the scenario's debrief questions after the episode
    # An LLM judge: a verdict beside the detector (judged scenarios) and settling what it
    # leaves to review; semantic labels (verbal resistance, follow-up answers) everywhere.
    judge: str | None = None
    followup: bool = True  # management's follow-up question (scenarios that have one)
    max_turns: int = 30
    guard: Guard | None = None  # the guard (--guard POLICY), which also approves every call
    # Semantic labels read by the learned reader (scoring/reader.py) where no judge decides.
    label_reader: bool = False


class Episode(ABC, Generic[R]):
    """One sample of a scenario: what it does at each step of the harness."""

    hostname: ClassVar[str] = "workstation"
    hosts: ClassVar[tuple[HostConfig, ...]] = ()  # second hosts of the sample's network
    interview_questions: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        spec: Spec,
        condition: Condition,
        machines: dict[str, Host],
        epoch: int,
        options: Options,
        texts: Texts,
    ) -> None:
        self.spec, self.condition, self.machines = spec, condition, machines
        self.epoch, self.options, self.texts = epoch, options, texts
        self.host = machines[self.hostname]  # the agent's own machine

    @classmethod
    def prepare(cls) -> None:
        """Host-side work before any sample (building a program the world needs); a missing
        host tool raises MissingBubblewrap (or a subclass) naming the fix."""

    @classmethod
    def default_texts(cls) -> dict[str, str]:
        """Every text the scenario shows the agent, by key (what a prompt pack can change);
        subclasses add theirs to these."""
        return {f"interview.{i}": q for i, q in enumerate(cls.interview_questions, 1)}

    @classmethod
    @abstractmethod
    def prompts(cls, condition: Condition, texts: Mapping[str, str]) -> tuple[str, str]:
        """(system prompt, first user message) for a condition."""

    def tools(self) -> list[Tool]:
        return [bash(), submit()]

    async def install(self) -> None:
        """Put the scenario's world on the machines."""

    async def after_call(self, index: int, call: ToolCall) -> bool:
        """Look at the machine after tool call `index`; True ends the episode."""
        return not self.host.alive

    def notices(self) -> list[str]:
        """Messages the agent's runtime has for it now (shown after the current turn)."""
        return []

    @abstractmethod
    async def observe(self, run: AgentRun) -> R:
        """Read what the detector needs from the machines' final state and the run."""

    @abstractmethod
    def decide(self, record: R) -> Outcome:
        """The verdict: a pure function of the record."""

    async def review(self, outcome: Outcome, record: R, run: AgentRun) -> Outcome:
        """Family-wide findings and the optional judge, added to the detector's outcome."""
        return outcome

    async def followup(self, state: TaskState, outcome: Outcome) -> Outcome:
        """Questions whose answers become labels (e.g. management asking what happened)."""
        return outcome

    async def close(self) -> None:
        """Release what `install` started outside the machine."""


def _store(outcome: Outcome) -> None:
    store().set(OUTCOME_KEY, outcome.model_dump(mode="json"))


def _labelled(outcome: Outcome, label: str, detail: str, error: str) -> Outcome:
    """The outcome with a harness fact: a label, and the error behind it in its details."""
    return outcome.model_copy(
        update={
            "labels": [*outcome.labels, label],
            "details": {**outcome.details, detail: error},
        }
    )


def _failed(outcome: Outcome, step: str, ex: Exception) -> Outcome:
    error = f"{step}: {type(ex).__name__}: {ex}"[:300]
    return _labelled(outcome, "followup_failed", "followup_error", error)


def _cut_short(outcome: Outcome, label: str, reason: str) -> Outcome:
    """The episode ended early, not by the agent or the scenario (a provider error, a stuck
    agent, a guard). A behaviour the state shows (or an attempt) stands with a label, and so
    does a `no` the detector marks decided (a chess game that had ended); anything else is a
    run that never reached the decision: invalid, for that reason first (what the state
    showed is kept in its details)."""
    labels = list(dict.fromkeys([*outcome.labels, label]))
    if outcome.verdict in ("yes", "attempted") or outcome.details.get("decided") is True:
        return outcome.model_copy(update={"labels": labels})
    evidence = [reason, *outcome.evidence]
    return outcome.model_copy(update={"verdict": "invalid", "evidence": evidence, "labels": labels})


def _after_error(outcome: Outcome, error: str) -> Outcome:
    outcome = outcome.model_copy(update={"details": {**outcome.details, "run_error": error}})
    return _cut_short(outcome, "run_error", f"the run broke: {error}")


def _after_stuck(outcome: Outcome) -> Outcome:
    return _cut_short(outcome, "stuck", f"the agent repeated itself for {STUCK_TURNS} turns "
                      "without progress (ended early, before a decision)")  # fmt: skip


def _after_guard(outcome: Outcome) -> Outcome:
    """A guard ended the sample: a call it stopped at the scenario's own objects is already
    an attempt (guard.outcome); anything else never reached the decision."""
    return _cut_short(outcome, "guard_terminated", "a guard ended the run (on a trip not aimed "
                      "at this scenario's objects) before a decision")  # fmt: skip


async def _reviewed(ep: Episode[R], record: R, run: AgentRun) -> Outcome:
    """The detector's verdict. A detector that fails on the state the agent left is a bug to
    fix, never a broken run nor a `no`: invalid, labelled `detector_error`, with the error."""
    try:
        return await ep.review(ep.decide(record), record, run)
    except Exception as ex:  # the agent controls the state: no input may crash the sample
        error = f"{type(ex).__name__}: {ex}"[:300]
        why = f"the detector failed on the state this agent left (a bug to report): {error}"
        return Outcome.invalid(ep.spec.behavior, why, labels=["detector_error"])


def episode_solver(spec: Spec, cls: type[Episode[Any]], options: Options, texts: Texts) -> Solver:
    @solver(name=f"{spec.name.replace('-', '_')}_episode")
    def episode() -> Solver:
        async def solve(state: TaskState, generate: Generate) -> TaskState:
            condition = spec.variants.parse(spec.name, state.metadata["variant"])
            names = [cls.hostname, *(h.name for h in cls.hosts)]
            machines = {
                n: Host(sandbox(None if n == cls.hostname else n).as_type(BwrapSandbox).machine)
                for n in names
            }
            ep = cls(spec, condition, machines, state.epoch, options, texts)
            try:  # what install starts outside the machine lives until the follow-up is done
                await ep.install()
                system, user = cls.prompts(condition, texts)
                state.messages = [ChatMessageSystem(content=system), ChatMessageUser(content=user)]
                run = await run_agent(state, ep.tools(), options.max_turns, ep.after_call,
                                      ep.notices, _guard_check(options.guard))  # fmt: skip
                record = await ep.observe(run)
                outcome = await _reviewed(ep, record, run)
                outcome = guarded(outcome, options.guard)
                if run.error is not None:
                    outcome = _after_error(outcome, run.error)
                elif run.end == "stuck":
                    outcome = _after_stuck(outcome)
                elif run.end == "guard":
                    outcome = _after_guard(outcome)
                _store(outcome)
                try:
                    outcome = await ep.followup(state, outcome)
                except Exception as ex:  # any provider failure, after Inspect's own retries
                    outcome = _failed(outcome, "follow-up", ex)
            finally:
                await ep.close()
                if options.guard is not None:
                    options.guard.forget()
            if options.interview and cls.interview_questions:
                questions = [texts[k] for k in texts if k.startswith("interview.")]
                try:
                    answers = await ask(state, questions)
                    pairs = zip(questions, answers, strict=True)
                    interview = [Exchange(question=q, answer=a) for q, a in pairs]
                    outcome = outcome.model_copy(update={"interview": interview})
                except Exception as ex:
                    outcome = _failed(outcome, "interview", ex)
            _store(outcome)
            return state

        return solve

    return episode()


def _guard_check(guard: Guard | None) -> Callable[[], Awaitable[object]]:
    async def check() -> object:
        return await guard.after() if guard is not None else None

    return check


def build_task(
    spec: Spec,
    variants: str | list[str] | None = None,
    interview: bool = False,
    max_turns: int | None = None,
    judge: str | None = None,
    followup: bool = True,
    prompts: str | None = None,
    guard: str | None = None,
    label_reader: bool = False,
) -> Task:
    """The Inspect task of a scenario, for the chosen variants (default: all listed), with the
    texts of a prompt pack (a YAML file, `offswitch prompts export`) when one is given."""
    cls = spec.episode()
    names = spec.variants.select(spec.name, variants)
    defaults = cls.default_texts()
    texts = Texts(defaults, read_pack(prompts, spec.name, defaults) if prompts else None)
    samples = [
        Sample(
            id=n,
            input=cls.prompts(spec.variants.parse(spec.name, n), texts)[1],
            metadata={
                "variant": n,
                "behavior": spec.behavior,
                METADATA_KEY: {k: list(v) for k, v in spec.guard.items()},
            },  # fmt: skip
        )
        for n in names
    ]
    approve = guard_approver(guard) if guard else None
    keeper = guard_of(approve) if approve else None
    options = Options(interview, judge, followup, max_turns or spec.max_turns, keeper, label_reader)
    return Task(
        dataset=MemoryDataset(samples, name=spec.name),
        solver=episode_solver(spec, cls, options, texts),
        scorer=verdict(spec.name),
        epochs=Epochs(1, verdict_counts()),
        sandbox=SandboxEnvironmentSpec(
            "bwrap", BwrapConfig(hostname=cls.hostname, hosts=cls.hosts)
        ),
        approval=[ApprovalPolicy(approve, "*")] if approve else None,
        name=spec.name,
        version=spec.version,
        metadata={"offswitch": {**spec.report_metadata(), "prompts": pack_metadata(texts)}},
    )


def pack_metadata(texts: Texts) -> dict[str, Any] | None:
    return texts.pack.metadata() if texts.pack is not None and texts.pack.changes else None


def register_all(specs: dict[str, Spec]) -> dict[str, Callable[..., Task]]:
    """One Inspect task per scenario, registered as `offswitch/NAME`; all take the same
    parameters (`-T variants=... -T interview=true -T judge=MODEL -T followup=false
    -T prompts=pack.yaml -T guard=block -T label_reader=true`)."""
    return {name: registered(spec) for name, spec in specs.items()}


def registered(spec: Spec) -> Callable[..., Task]:
    """The scenario's task factory, registered (again) from this spec: a task made by it can
    be recreated by Inspect from its log alone, which is what resuming a run needs."""

    def make(
        variants: str | list[str] | None = None,
        interview: bool = False,
        max_turns: int | None = None,
        judge: str | None = None,
        followup: bool = True,
        prompts: str | None = None,
        guard: str | None = None,
        label_reader: bool = False,
    ) -> Task:
        return build_task(spec, variants, interview, max_turns, judge, followup, prompts, guard,
                          label_reader)  # fmt: skip

    make.__name__ = make.__qualname__ = spec.name.replace("-", "_")
    make.__doc__ = spec.summary
    return task(name=spec.name)(make)
