"""Tool calls: how they are offered to the model and how its calls are constrained and parsed.

The model writes calls as `<tool_call>{"name": …, "arguments": {…}}</tool_call>` — the format
Qwen2.5's own template teaches, and the one we teach other models in the system prompt. Once
the model has opened `<tool_call>`, the rest is generated under a grammar built from the
tools' JSON schemas, so a call is always valid JSON naming a real tool with arguments that
match its schema.
"""

from __future__ import annotations

import json
import re
from typing import Any

from oculi.llm.messages import ToolCall

CALL_OPEN = "<tool_call>"
CALL_CLOSE = "</tool_call>"


def tool_name(tool: dict[str, Any]) -> str:
    return tool["function"]["name"]


def calls_schema(tools: list[dict[str, Any]]) -> dict[str, Any]:
    """A JSON schema matching exactly one call to any of `tools`."""
    variants = []
    for t in tools:
        fn = t["function"]
        params = fn.get("parameters") or {"type": "object", "properties": {}}
        variants.append(
            {
                "type": "object",
                "properties": {"name": {"const": fn["name"]}, "arguments": params},
                "required": ["name", "arguments"],
                "additionalProperties": False,
            }
        )
    return variants[0] if len(variants) == 1 else {"oneOf": variants}


MAX_PARALLEL_CALLS = 4

# How models actually open a call, whitespace removed. Qwen2.5-Coder, for one, often writes
# a fenced JSON block instead of the `<tool_call>` tag its template asks for.
# `{{"name"` too: Qwen's template shows the format with Jinja-escaped braces, and the model
# sometimes copies them literally.
_OPENERS = ("<tool_call>", '```json{"name"', '```{"name"', '{"name"', '{{"name"')
# The template lists the tools inside `<tools></tools>`, and the model now and then wraps its
# call in that tag: a wrapper around any of the openers above, not an opener of its own.
TOOLS_WRAPPER = ("<tools>", "</tools>")


def opening_state(text: str) -> str:
    """Classify the start of an answer: 'call', 'text', or 'undecided' (keep listening)."""
    compact = re.sub(r"\s+", "", text)
    if TOOLS_WRAPPER[0].startswith(compact):
        return "undecided"
    compact = compact.removeprefix(TOOLS_WRAPPER[0])
    if any(compact.startswith(o) for o in _OPENERS):
        return "call"
    if not compact or any(o.startswith(compact) for o in _OPENERS):
        return "undecided"
    return "text"


_NAME = re.compile(r'^\s*\{\s*"name"\s*:\s*"([^"]*)(")?')


def settled_argless_call(body: str, tools: list[dict[str, Any]]) -> str | None:
    """The name of the call being written in `body` once it can only be one tool that takes
    no arguments (the rest of such a call is forced by the grammar: decoding it tells nothing).
    None while the name is open, or when the tool takes arguments."""
    m = _NAME.match(body)
    if m is None:
        return None
    typed, closed = m.group(1), m.group(2) is not None
    names = [tool_name(t) for t in tools]
    fits = [n for n in names if n == typed] if closed else [n for n in names if n.startswith(typed)]
    if len(fits) != 1:
        return None
    tool = next(t for t in tools if tool_name(t) == fits[0])
    params = tool["function"].get("parameters") or {}
    return None if params.get("properties") else fits[0]


def calls_grammar(tools: list[dict[str, Any]], max_calls: int = MAX_PARALLEL_CALLS) -> str:
    """GBNF for 1..max_calls calls, each closed by `</tool_call>`, after an opening tag.

    The bound matters: small models otherwise repeat the same call until max_tokens.
    """
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    call_gbnf = json_schema_to_gbnf(json.dumps(calls_schema(tools)))
    # json_schema_to_gbnf names its start rule `root`; rename it and wrap it.
    call_gbnf = call_gbnf.replace("root ::=", "call ::=", 1)
    sep = json.dumps(f"\n{CALL_CLOSE}\n{CALL_OPEN}\n")
    close = json.dumps(f"\n{CALL_CLOSE}")
    more = ""
    for _ in range(max(1, max_calls) - 1):
        more = f"({sep} call {more})?"
    return f"root ::= call {more} {close}\n{call_gbnf}"


def system_prompt_for_tools(tools: list[dict[str, Any]]) -> str:
    """Tool instructions for chat templates that do not render `tools` themselves."""
    listing = "\n".join(json.dumps(t["function"], ensure_ascii=False) for t in tools)
    return (
        "You can call functions. Available functions:\n"
        f"{listing}\n"
        "To call one, reply with only:\n"
        f'{CALL_OPEN}\n{{"name": <function name>, "arguments": <JSON object>}}\n{CALL_CLOSE}\n'
        "Otherwise answer normally."
    )


def parse_calls(text: str) -> list[ToolCall]:
    """Parse grammar-constrained output (which follows an opening `<tool_call>`).

    A last call cut short by max_tokens is dropped; identical repeats collapse into one
    (a loop artefact of small models, never a meaningful second call).
    """
    calls: list[ToolCall] = []
    seen: set[tuple[str, str]] = set()
    for chunk in text.split(CALL_OPEN):
        body = chunk.replace(CALL_CLOSE, "").strip()
        if not body:
            continue
        try:
            obj = json.loads(body)
        except ValueError:
            continue  # only the truncated tail can fail: the grammar shapes every other call
        key = (obj["name"], json.dumps(obj["arguments"], sort_keys=True))
        if key not in seen:
            seen.add(key)
            calls.append(ToolCall(name=obj["name"], arguments=json.dumps(obj["arguments"])))
    return calls


def as_plain_history(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rewrite tool calls and results as text, for templates that know no tool roles."""
    out = []
    for m in messages:
        if m.get("tool_calls"):
            body = "\n".join(
                f"{CALL_OPEN}\n"
                + json.dumps({"name": c["function"]["name"], "arguments": c["function"]["arguments"]})
                + f"\n{CALL_CLOSE}"
                for c in m["tool_calls"]
            )
            out.append({"role": "assistant", "content": ((m.get("content") or "") + body).strip()})
        elif m["role"] == "tool":
            out.append(
                {"role": "user", "content": f"<tool_response>\n{m['content']}\n</tool_response>"}
            )
        else:
            out.append(m)
    return out
