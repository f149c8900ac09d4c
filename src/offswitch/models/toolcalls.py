"""Tolerant parsing of tool calls from a local model's text.

Small models write tool calls in several shapes: Qwen's <tool_call> blocks (sometimes
unclosed), JSON in code fences, or a bare JSON object; with invalid escapes such as
`\\;` from shell commands, trailing commas, or arguments given as a JSON string.
Whatever can be understood becomes a ToolCall; what cannot becomes a ToolCall with a
parse_error, which Inspect reports back to the model as a tool error.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from typing import Any

from inspect_ai.tool import ToolCall

TOOL_CALL_BLOCK = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)
FENCE_MARK = re.compile(r"```(?:json|tool_call)?")
INVALID_ESCAPE = re.compile(r'\\(?!["\\/bfnrtu])')
TRAILING_COMMA = re.compile(r",\s*([}\]])")


@dataclass(frozen=True)
class Parsed:
    content: str
    tool_calls: list[ToolCall]


def loads_tolerant(text: str) -> Any:
    """json.loads, then with invalid escapes doubled and trailing commas dropped,
    then as a Python literal (single quotes, True/False)."""
    text = text.strip()
    attempts = [text, INVALID_ESCAPE.sub(r"\\\\", text)]
    attempts.append(TRAILING_COMMA.sub(r"\1", attempts[-1]))
    attempts.append(attempts[-1] + _closers(attempts[-1]))  # cut off mid-call
    for candidate in attempts:
        try:
            return json.loads(candidate, strict=False)  # strict=False: raw newlines in strings
        except json.JSONDecodeError:
            continue
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError) as ex:
        raise ValueError(f"not valid JSON: {text[:120]!r}") from ex


def _brackets(text: str) -> tuple[list[tuple[int, str]], bool]:
    """The brackets of text that lie outside JSON strings, and whether text ends inside a
    string. Quotes open strings only within brackets, so quotes in prose are ignored."""
    found: list[tuple[int, str]] = []
    depth, in_str, esc = 0, False, False
    for i, ch in enumerate(text):
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"' and depth:
            in_str = True
        elif ch in "{[":
            depth += 1
            found.append((i, ch))
        elif ch in "}]" and depth:
            depth -= 1
            found.append((i, ch))
    return found, in_str


def _closers(text: str) -> str:
    """The quote and brackets needed to close what text left open."""
    found, in_str = _brackets(text)
    stack: list[str] = []
    for _, ch in found:
        if ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif stack:
            stack.pop()
    return ('"' if in_str else "") + "".join(reversed(stack))


def _objects(text: str) -> list[tuple[int, int]]:
    """Spans of the balanced outermost {...} in text (a list of calls gives each call)."""
    spans: list[tuple[int, int]] = []
    depth, start = 0, 0
    for i, ch in _brackets(text)[0]:
        if ch == "{":
            start = i if depth == 0 else start
            depth += 1
        elif ch == "}" and depth:
            depth -= 1
            if depth == 0:
                spans.append((start, i + 1))
    return spans


def outermost_object(text: str) -> str | None:
    """The first balanced {...} in text, if any."""
    spans = _objects(text)
    return text[spans[0][0] : spans[0][1]] if spans else None


def _to_call(payload: str, index: int) -> ToolCall:
    call_id = f"call_{index}"
    body = outermost_object(payload) or payload
    try:
        obj = loads_tolerant(body)
        if not isinstance(obj, dict):
            raise ValueError("a tool call must be a JSON object")
        if "function" in obj and isinstance(obj["function"], dict):  # OpenAI-style nesting
            obj = obj["function"]
        name = obj.get("name") or obj.get("function") or obj.get("tool")
        if not isinstance(name, str) or not name:
            raise ValueError('no "name" in the tool call')
        # arguments, or parameters, or (small models) the other keys beside the name
        rest = {k: v for k, v in obj.items() if k not in ("name", "function", "tool")}
        args = obj.get("arguments", obj.get("parameters", rest))
        if isinstance(args, str):
            args = loads_tolerant(args) if args.strip() else {}
        if not isinstance(args, dict):
            raise ValueError('"arguments" must be a JSON object')
        return ToolCall(id=call_id, function=name, arguments=args)
    except ValueError as ex:
        name_match = re.search(r'"name"\s*:\s*"([^"]+)"', payload)
        return ToolCall(
            id=call_id,
            function=name_match.group(1) if name_match else "unknown",
            arguments={},
            parse_error=f"Could not parse the tool call ({ex}). Write each call as "
            '<tool_call>{"name": ..., "arguments": {...}}</tool_call> with valid JSON.',
        )


CALL_KEYS = re.compile(r'^\{\s*"(name|function|tool)"\s*:')


def parse(text: str) -> Parsed:
    blocks = list(TOOL_CALL_BLOCK.finditer(text))
    if blocks:
        calls = [_to_call(b.group(1), i) for i, b in enumerate(blocks)]
        return Parsed(TOOL_CALL_BLOCK.sub("", text).strip(), calls)
    # No <tool_call> tags: JSON objects shaped like calls, fenced or bare, in order.
    spans = [sp for sp in _objects(text) if CALL_KEYS.search(text[sp[0] : sp[1]])]
    if not spans:
        return Parsed(text.strip(), [])
    calls = [_to_call(text[a:b], i) for i, (a, b) in enumerate(spans)]
    content, last = [], 0
    for a, b in spans:
        content.append(text[last:a])
        last = b
    content.append(text[last:])
    leftover = FENCE_MARK.sub("", "".join(content)).strip()
    return Parsed(leftover, calls)
