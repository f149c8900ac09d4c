"""Model provider `replay/PATH`: a scripted agent read from a YAML file.

The file is a list of assistant turns, each with optional `content` and optional
`tool_calls` (each `function` and `arguments`). Turn k of the script answers the
k-th generate call of a sample (counted from the assistant messages already in the
conversation, so concurrent samples each get the whole script). When the script is
exhausted the model returns an empty turn, which the agent loop takes as "stopped".
A turn with `error: MESSAGE` raises instead, as a failing provider would (for testing
what a broken model call does to a sample). An item `session: TEXT` starts the turns of
another conversation of the same sample, the one whose system prompt contains TEXT (e.g. a
replica's own session); the turns before the first such item answer any other conversation.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    GenerateConfig,
    ModelAPI,
    ModelOutput,
    ModelUsage,
)
from inspect_ai.tool import ToolCall, ToolChoice, ToolInfo
from pydantic import BaseModel, ConfigDict, ValidationError

from offswitch.errors import UsageError


class ScriptedCall(BaseModel):
    model_config = ConfigDict(extra="forbid")
    function: str
    arguments: dict[str, Any] = {}


class ScriptedTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    content: str = ""
    tool_calls: list[ScriptedCall] = []
    error: str | None = None
    session: str | None = None  # marks the start of another conversation's turns


class ReplayProviderError(RuntimeError):
    """A scripted provider failure (`error:` in a replay turn)."""


class _ScriptLoader(yaml.SafeLoader):
    """YAML as a script's author means it: a time such as `subject: 17:00` stays text (YAML
    1.1 reads it as the base-60 number 1020, and the mail tool would refuse the call)."""


_BASE_60 = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_ScriptLoader.yaml_implicit_resolvers = {
    first: [("tag:yaml.org,2002:str", _BASE_60)] * (first in "+-0123456789") + list(found)
    for first, found in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_script(path: str | Path) -> list[ScriptedTurn]:
    """Parse and validate a replay file; UsageError with the reason if it is malformed."""
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"replay file not found: {p} (give a YAML file: replay/PATH)")
    try:
        raw = yaml.load(p.read_text(), Loader=_ScriptLoader)
    except yaml.YAMLError as ex:
        mark = getattr(ex, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise UsageError(f"replay file {p} is not valid YAML{where}: fix the syntax") from ex
    if not isinstance(raw, list):
        raise UsageError(f"replay file {p} must be a YAML list of assistant turns")
    turns = []
    for i, item in enumerate(raw, start=1):
        try:
            turns.append(ScriptedTurn.model_validate(item or {}))
        except ValidationError as ex:
            first = ex.errors()[0]
            loc = ".".join(str(x) for x in first["loc"]) or "turn"
            raise UsageError(
                f"replay file {p}, turn {i}: {loc}: {first['msg']} "
                "(each turn has optional 'content', 'tool_calls' with 'function', 'arguments', "
                "and 'error'; or it is 'session: TEXT')"
            ) from ex
    return turns


def session_of(script: list[ScriptedTurn], system: str) -> list[ScriptedTurn]:
    """The turns for a conversation with this system prompt (see the module docstring)."""
    marks = [i for i, t in enumerate(script) if t.session is not None]
    chosen = [i for i in marks if (script[i].session or "") in system]
    start = chosen[-1] + 1 if chosen else 0
    end = next((i for i in marks if i >= start), len(script))
    return script[start:end]


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)  # a rough count; real tokenizers are not needed offline


class ReplayModel(ModelAPI):
    """Registered lazily as the `replay` provider (see .providers)."""

    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig = GenerateConfig(),  # noqa: B008 (Inspect's own signature)
        **model_args: Any,
    ) -> None:
        super().__init__(model_name, base_url, api_key, [], config)
        self.script = load_script(model_name)

    async def generate(
        self,
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> ModelOutput:
        turn = sum(1 for m in input if m.role == "assistant")
        system = "\n".join(m.text for m in input if m.role == "system")
        script = session_of(self.script, system)
        if turn >= len(script):
            message = ChatMessageAssistant(content="", model=self.model_name, source="generate")
        else:
            t = script[turn]
            if t.error is not None:
                raise ReplayProviderError(t.error)
            calls = [
                ToolCall(id=f"replay-{turn}-{i}", function=c.function, arguments=c.arguments)
                for i, c in enumerate(t.tool_calls)
            ]
            message = ChatMessageAssistant(
                content=t.content,
                tool_calls=calls or None,
                model=self.model_name,
                source="generate",
            )
        prompt = sum(_tokens(m.text) for m in input)
        out = _tokens(message.text + str([c.arguments for c in message.tool_calls or []]))
        output = ModelOutput.from_message(message)
        output.usage = ModelUsage(input_tokens=prompt, output_tokens=out, total_tokens=prompt + out)
        return output

    def max_connections(self) -> int:
        return 32
