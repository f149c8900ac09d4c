"""A llama.cpp grammar built from the offered tools' schemas: the model writes prose and
well-formed tool calls (its template's `<tool_call>` block, or the bare JSON object small models
often write instead), each naming an offered tool with that tool's arguments; nothing else.
Small models then never lose a turn to a malformed call, and the prompt stays the same for
every model: only the sampling is constrained."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from inspect_ai.tool import ToolInfo

if TYPE_CHECKING:
    from llama_cpp.llama_grammar import LlamaGrammar

# Prose never opens a tool-call tag ("<" is allowed when "t" does not follow) and holds no
# "{": a call is the template's block or, as small models often write it, the bare JSON
# object, and either way it names an offered tool with that tool's arguments.
HEAD = r"""root ::= prose (call prose)*
prose ::= ([^<{] | "<" [^t<{])*
call ::= "<tool_call>\n" tool-json "\n</tool_call>" | tool-json
"""


def call_schema(tool: ToolInfo) -> dict[str, Any]:
    params = tool.parameters.model_dump(exclude_none=True)
    params.setdefault("properties", {})
    return {
        "type": "object",
        "properties": {"name": {"const": tool.name}, "arguments": params},
        "required": ["name", "arguments"],
        "additionalProperties": False,
    }


def gbnf(tools: list[ToolInfo]) -> str:
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    body = json_schema_to_gbnf(json.dumps({"oneOf": [call_schema(t) for t in tools]}))
    return HEAD + re.sub(r"^root ::=", "tool-json ::=", body, flags=re.MULTILINE)


@lru_cache(maxsize=16)
def _compiled(text: str) -> LlamaGrammar:
    from llama_cpp.llama_grammar import LlamaGrammar

    return LlamaGrammar.from_string(text, verbose=False)


def for_tools(tools: list[ToolInfo]) -> LlamaGrammar | None:
    """The grammar for these tools (compiled once per distinct set); None without tools."""
    return _compiled(gbnf(tools)) if tools else None
