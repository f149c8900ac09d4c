"""Model provider `offswitch/NAME`: an open model run in process with llama.cpp, offline.

NAME is a catalogue name (`offswitch model list`) or a local GGUF file path.
One loaded model per process, shared by every sample and reused across turns: each
turn's prompt extends the previous one token for token (the model's raw output is
re-rendered verbatim), so llama.cpp keeps the KV cache and only processes new tokens.

Every llama.cpp call runs on one dedicated thread: llama.cpp's OpenMP thread team
belongs to the thread that calls it, and a second calling thread starts a second team
while the first one's threads still spin, which cost a third of the generation speed on
two cores (measured: benchmarks/embedded_model.py). The event loop stays free meanwhile.

Threads follow the machine's load: llama.cpp's threads meet at a spinning barrier many
times per token, so when another process holds a core, every barrier waits for the
descheduled thread (three times slower with one core busy, and far worse under heavier
load). Each call measures how much CPU other processes used while it ran and the next
call uses one thread less per busy core (benchmarks/embedded_model.py --shared-cpu).
"""

from __future__ import annotations

import asyncio
import atexit
import hashlib
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspect_ai.hooks import Hooks, SampleAttemptStart, hooks
from inspect_ai.model import (
    ChatCompletionChoice,
    ChatMessage,
    ChatMessageAssistant,
    GenerateConfig,
    ModelAPI,
    ModelOutput,
    ModelUsage,
    StopReason,
)
from inspect_ai.tool import ToolCall, ToolChoice, ToolInfo

from .chat_template import RAW_KEY, ChatTemplate
from .grammar import for_tools
from .toolcalls import parse
from .weights import resolve

DEFAULT_CTX = 16384  # the email scenarios' inboxes and forwards outgrew 8k; the KV cache: ~0.5 GB
DEFAULT_MAX_TOKENS = 512  # a turn of a small model: a call or a few sentences; longer is a ramble
# Qwen2.5's recommended sampling; a GenerateConfig value always wins.
DEFAULTS = {"temperature": 0.7, "top_p": 0.8, "top_k": 20, "repeat_penalty": 1.05}
STOP = ["<|im_end|>", "<|im_start|>", "<|endoftext|>"]


class ContextOverflow(RuntimeError):
    """The conversation no longer fits the model's context window."""


@dataclass(frozen=True)
class Completion:
    text: str
    finish_reason: str
    prompt_tokens: int
    processed_tokens: int  # prompt tokens actually evaluated (the rest came from the KV cache)
    completion_tokens: int


def _busy_ticks() -> int:
    """CPU time (in clock ticks) every process on the machine has used so far."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return sum(fields) - fields[3] - fields[4]  # all but idle and iowait


class Threads:
    """How many threads the next llama.cpp call gets: the cores other processes left free
    during the previous call (at least one). `fixed` turns the adjustment off."""

    def __init__(self, cores: int, fixed: bool = False) -> None:
        self.cores, self.fixed, self.count = cores, fixed, cores
        self._tick = os.sysconf("SC_CLK_TCK")
        self._start: tuple[float, int, float] | None = None

    def begin(self) -> None:
        if not self.fixed:
            self._start = (time.monotonic(), _busy_ticks(), _own_cpu())

    def end(self) -> None:
        if self._start is None:
            return
        wall0, busy0, own0 = self._start
        wall = time.monotonic() - wall0
        if wall < 0.25:  # too short to tell load from the clock's tick
            return
        others = ((_busy_ticks() - busy0) / self._tick - (_own_cpu() - own0)) / wall
        # A core counts as taken when another process used most of it.
        self.count = max(1, min(self.cores, self.cores - round(others - 0.15)))


def _own_cpu() -> float:
    t = os.times()
    return t.user + t.system


class Engine:
    """One llama.cpp model in this process, on its own thread. Calls are serialised by
    that thread: there is one KV cache."""

    def __init__(
        self, path: Path, n_ctx: int, n_threads: int | None = None, adapt: bool = True
    ) -> None:
        from llama_cpp import Llama  # imported late: only the embedded model needs it

        self.path = path
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llama")
        cores = n_threads or len(os.sched_getaffinity(0)) or 1
        self.threads = Threads(cores, fixed=not adapt)
        self.llm = self.thread.submit(
            Llama,
            model_path=str(path),
            n_ctx=n_ctx,
            n_threads=cores,
            n_threads_batch=cores,
            n_batch=512,
            verbose=False,
        ).result()
        template = self.llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise ValueError(f"{path} has no chat template in its metadata")
        self.template = ChatTemplate(template)

    def tokenize(self, text: str) -> list[int]:
        return list(self.llm.tokenize(text.encode(), add_bos=False, special=True))

    def cached_prefix(self, tokens: list[int]) -> int:
        """How many leading prompt tokens the KV cache already holds (as llama-cpp reuses)."""
        n = 0
        for a, b in zip(self.llm.input_ids[: self.llm.n_tokens], tokens[:-1], strict=False):
            if a != b:
                break
            n += 1
        return n

    async def complete_async(
        self, prompt: str, params: dict[str, Any], max_tokens: int, reuse_cache: bool = True
    ) -> Completion:
        future = self.thread.submit(self.complete, prompt, params, max_tokens, reuse_cache)
        return await asyncio.wrap_future(future)

    def complete(
        self, prompt: str, params: dict[str, Any], max_tokens: int, reuse_cache: bool = True
    ) -> Completion:
        """Only ever called on the engine's thread."""
        tokens = self.tokenize(prompt)
        room = self.llm.n_ctx() - len(tokens)
        if room < 16:
            raise ContextOverflow(
                f"the prompt has {len(tokens)} tokens; the context window is {self.llm.n_ctx()}"
            )
        if not reuse_cache:
            self.llm.reset()  # type: ignore[no-untyped-call]
        cached = self.cached_prefix(tokens)
        n = self.threads.count
        self.llm._ctx.set_n_threads(n, n)
        self.threads.begin()
        out = self.llm.create_completion(
            prompt=tokens, max_tokens=min(max_tokens, room), stop=STOP, **params
        )
        self.threads.end()
        choice = out["choices"][0]  # type: ignore[index]
        usage = out["usage"]  # type: ignore[index]
        return Completion(
            text=choice["text"],
            finish_reason=choice.get("finish_reason") or "stop",
            prompt_tokens=usage["prompt_tokens"],
            processed_tokens=len(tokens) - cached,
            completion_tokens=usage["completion_tokens"],
        )


_engines: dict[tuple[str, int], Engine] = {}
_engines_lock = threading.Lock()


@atexit.register
def _close_engines() -> None:
    # Free the models while the interpreter is whole: llama-cpp's own finaliser runs too
    # late at exit and prints a traceback (its C library is already unloaded).
    with _engines_lock:
        for engine in _engines.values():
            engine.llm.close()  # its thread is gone by now: Python stops executors first
        _engines.clear()


def engine_for(model_name: str, n_ctx: int = DEFAULT_CTX) -> Engine:
    """The process-wide engine for a model, loaded (and hash-verified) on first use."""
    with _engines_lock:
        path = resolve(model_name)
        key = (str(path), n_ctx)
        if key not in _engines:
            _engines[key] = Engine(path, n_ctx)
        return _engines[key]


# The (id, epoch) of the sample being run. A model API is not told which sample it serves,
# and no public Inspect function says; the public hooks do, in the sample's own task before
# its solver starts, so what the hook sets here is what the solver's task (a copy) and the
# scorers (the same task) see.
_sample: ContextVar[tuple[int | str, int] | None] = ContextVar("offswitch_sample", default=None)


@hooks(name="offswitch_sample", description="Tells the embedded model's seeds the sample/epoch.")
class SampleHook(Hooks):
    async def on_sample_attempt_start(self, data: SampleAttemptStart) -> None:
        _sample.set((data.summary.id, data.summary.epoch))


def _seed(base: int | None, turn: int) -> int:
    """Deterministic per sample, epoch and turn, so a fixed seed reproduces a run
    while the epochs of one sample still differ from each other."""
    sample_id, epoch = _sample.get() or ("", 0)
    ident = f"{base or 0}/{sample_id}/{epoch}"
    return int.from_bytes(hashlib.sha256(f"{ident}/{turn}".encode()).digest()[:4], "little")


class EmbeddedModel(ModelAPI):
    """Registered lazily as the `offswitch` provider (see .providers)."""

    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig = GenerateConfig(),  # noqa: B008 (Inspect's own signature)
        n_ctx: int = DEFAULT_CTX,
        reuse_cache: bool = True,
        grammar: bool = True,
        **model_args: Any,
    ) -> None:
        super().__init__(model_name, base_url, api_key, [], config)
        self.engine = engine_for(model_name, n_ctx)
        self.reuse_cache = reuse_cache
        self.grammar = grammar  # tool calls constrained to the tools' schemas (.grammar)

    def max_connections(self) -> int:
        return 1  # one KV cache: concurrent generations would only evict each other

    async def generate(
        self,
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> ModelOutput:
        offered = tools if tool_choice != "none" else []
        prompt = self.engine.template.render(input, offered)
        turn = sum(1 for m in input if m.role == "assistant")
        params: dict[str, Any] = dict(DEFAULTS)
        for key in ("temperature", "top_p", "top_k"):
            if getattr(config, key) is not None:
                params[key] = getattr(config, key)
        params["seed"] = _seed(config.seed, turn)
        if offered and self.grammar:
            params["grammar"] = for_tools(offered)
        result = await self.engine.complete_async(
            prompt, params, config.max_tokens or DEFAULT_MAX_TOKENS, self.reuse_cache
        )
        return self.to_output(result, bool(offered), turn)

    def to_output(self, result: Completion, tools_offered: bool, turn: int) -> ModelOutput:
        parsed = parse(result.text) if tools_offered else None
        calls = [
            ToolCall(
                id=f"call_{turn}_{i}",
                function=c.function,
                arguments=c.arguments,
                parse_error=c.parse_error,
            )
            for i, c in enumerate(parsed.tool_calls if parsed else [])
        ]
        message = ChatMessageAssistant(
            content=parsed.content if parsed else result.text.strip(),
            tool_calls=calls or None,
            model=self.model_name,
            source="generate",
            metadata={RAW_KEY: result.text},
        )
        stop: StopReason = "stop"
        if calls:
            stop = "tool_calls"
        elif result.finish_reason == "length":
            stop = "max_tokens"
        return ModelOutput(
            model=self.model_name,
            choices=[ChatCompletionChoice(message=message, stop_reason=stop)],
            usage=ModelUsage(
                input_tokens=result.prompt_tokens,
                output_tokens=result.completion_tokens,
                total_tokens=result.prompt_tokens + result.completion_tokens,
            ),
            metadata={"prompt_tokens_processed": result.processed_tokens},
        )
