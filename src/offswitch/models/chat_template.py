"""Rendering a conversation with the model's own chat template (from the GGUF file)."""

from __future__ import annotations

import json
from typing import Any

import jinja2
from inspect_ai.model import ChatMessage
from inspect_ai.tool import ToolInfo

# Qwen2.5-Coder-1.5B's template writes its tool-call example inside a string literal as
# {{"name": ...}}, which Jinja prints with doubled braces: the model would be shown
# the wrong format. The 0.5B file has it right; we show both models the same text.
DOUBLED_BRACE_BUG = '{{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}}'
DOUBLED_BRACE_FIX = '{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}'
RAW_KEY = "offswitch_raw"  # assistant message metadata: the exact text the model generated


def fix_template(template: str) -> str:
    return template.replace(DOUBLED_BRACE_BUG, DOUBLED_BRACE_FIX)


def _tojson(value: Any) -> str:
    # Jinja's own tojson escapes <, >, & and ' as \u003c...: shell commands would reach the
    # model mangled. Plain JSON, as the model writes it.
    return json.dumps(value, ensure_ascii=False)


class ChatTemplate:
    def __init__(self, template: str) -> None:
        env = jinja2.Environment(loader=jinja2.BaseLoader(), trim_blocks=False)
        env.filters["tojson"] = _tojson
        self._template = env.from_string(fix_template(template))

    def render(self, messages: list[ChatMessage], tools: list[ToolInfo]) -> str:
        return self._template.render(
            messages=[_message(m) for m in messages],
            tools=[_tool(t) for t in tools] or None,
            add_generation_prompt=True,
        )


def _tool(t: ToolInfo) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": t.name,
            "description": t.description,
            "parameters": t.parameters.model_dump(exclude_none=True),
        },
    }


def _message(m: ChatMessage) -> dict[str, Any]:
    if m.role == "assistant":
        raw = (m.metadata or {}).get(RAW_KEY)
        if isinstance(raw, str):
            # Re-render exactly what the model produced, so the next prompt extends the
            # previous one token for token and the KV cache is reused.
            return {"role": "assistant", "content": raw}
        calls = [{"name": c.function, "arguments": c.arguments} for c in m.tool_calls or []]
        return {"role": "assistant", "content": m.text, "tool_calls": calls or None}
    if m.role == "tool":
        text = m.text if m.error is None else f"Error: {m.error.message}"
        return {"role": "tool", "content": text}
    return {"role": m.role, "content": m.text}
