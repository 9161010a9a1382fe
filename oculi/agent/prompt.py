"""The agent's instructions and the per-turn line that lets it turn "at six" into a time.

The turn line goes in its own system message just before the wearer's latest words, not
in the first system message: the first message and the tool list then stay byte-identical
from turn to turn, so the engine reuses their KV cache instead of re-reading ~2,000 tokens.
It also repeats the one rule small models forget after reading a long tool list: most
requests need no tool. Said there, right before the request, it is what the model reads last.
"""

from __future__ import annotations

from datetime import datetime

TOOL_GUIDANCE = (
    "You act for the wearer through tools. Call a tool only when the request needs an action "
    "(set a timer or reminder, write a note, take a photo, control the home…) or information "
    "only the device has: its camera's view right now, its battery, the home, or the wearer's "
    "own notes, reminders and memories. Everything else — general knowledge, facts, maths, "
    "advice, how-to, jokes, greetings, thanks — you answer yourself in words, without a tool. "
    "Fill tool arguments only from what the wearer said, never invent them. After a tool "
    "result, tell the wearer the outcome in one short spoken sentence; if a tool failed or was "
    "declined, say so.\n"
    "To use a tool, reply with only:\n"
    '<tool_call>\n{"name": "tool_name", "arguments": {...}}\n</tool_call>'
)

TURN_RULE = (
    "Use a tool only if this request needs one; for knowledge, maths, advice or chat, "
    "answer directly."
)


def system_prompt(base: str) -> str:
    return f"{base}\n\n{TOOL_GUIDANCE}"


def clock_line(now: datetime) -> str:
    return f"Current local time: {now.strftime('%A %Y-%m-%d %H:%M')}."


def turn_line(now: datetime, tools_offered: bool = True) -> str:
    """The per-turn system line: the clock, and (with tools offered) the no-tool rule."""
    return f"{clock_line(now)} {TURN_RULE}" if tools_offered else clock_line(now)


# Offered beside the real tools: small models shown a long tool list call *something* for
# "thanks" or "what is 17 times 23" (a no-argument tool like device_status, often). Given a
# tool-shaped way to decline, they take it; the agent then answers in words, offering no
# tools. It is never registered, so nothing can run it.
DIRECT_ANSWER = "answer_directly"
DIRECT_ANSWER_SPEC = {
    "type": "function",
    "function": {
        "name": DIRECT_ANSWER,
        "description": "Answer the wearer in your own words, with no other tool: for general "
        "knowledge, facts, maths, advice, how-to, jokes, greetings and thanks.",
        "parameters": {"type": "object", "properties": {}, "additionalProperties": False},
    },
}

