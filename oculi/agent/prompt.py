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
    "You act for the wearer through tools. A tool is for doing something on the device "
    "(timers, reminders, notes, photos, the home) or for what only the device can know: what "
    "its camera sees now, its own state, the home, and the wearer's saved notes, reminders "
    "and memories. When you can answer from your own knowledge or reasoning, or the wearer is "
    "simply talking to you, reply in words and call no tool. Fill tool arguments only from "
    "what the wearer said, never invent them. After a tool result, tell the wearer the "
    "outcome in one short spoken sentence; if a tool failed or was declined, say so. A reply "
    "in words does nothing: never say that you set, saved, sent or switched anything unless "
    "a tool result above shows it was done.\n"
    "To use a tool, reply with only:\n"
    '<tool_call>\n{"name": "tool_name", "arguments": {...}}\n</tool_call>'
)

TURN_RULE = (
    "Call a tool only if this request needs the device to act or to look something up; "
    "otherwise reply in words."
)


def system_prompt(base: str) -> str:
    return f"{base}\n\n{TOOL_GUIDANCE}"


def clock_line(now: datetime) -> str:
    return f"Current local time: {now.strftime('%A %Y-%m-%d %H:%M')}."


def turn_line(now: datetime, tools_offered: bool = True) -> str:
    """The per-turn system line: the clock, and (with tools offered) the no-tool rule."""
    return f"{clock_line(now)} {TURN_RULE}" if tools_offered else clock_line(now)


# Offered beside the real tools: small models shown a long tool list call *something* for
# a remark or a question they could answer themselves (a no-argument tool like
# device_status, often). Given a tool-shaped way to decline, they take it; the agent then
# answers in words, offering no tools, and the server does the same for an app's tools
# (serving_chat). It is never registered, so nothing can run it.
DIRECT_ANSWER = "answer_directly"
DIRECT_ANSWER_SPEC = {
    "type": "function",
    "function": {
        "name": DIRECT_ANSWER,
        "description": "Reply in your own words without any other tool: when the answer needs "
        "no action and no data from the device, because you know it, can work it out, or "
        "the user is just chatting.",
        "parameters": {"type": "object", "properties": {}, "additionalProperties": False},
    },
}

# The server's counterpart of TURN_RULE, for an app's own tools (serving_chat): a system line
# just before the user's latest message whenever the escape is offered. Without it the model
# reads the escape only as one more tool among the app's, and rarely takes it.
ESCAPE_RULE = (
    "Call one of the tools only if this request needs it to act or to look something up. "
    "If you can answer from your own knowledge or reasoning, or the user is just talking to "
    f"you, call {DIRECT_ANSWER}."
)


# After a tool result, when the reply was a sentence dictated for another case (Agent.run).
TELL_THE_OUTCOME = "Tell the wearer, in one short sentence, what the tool result above says."


# In the instructions of a reply written with no tools offered at all (the same rule is in
# TOOL_GUIDANCE for replies in words when tools are offered).
NO_ACTION_TAKEN = (
    "No tool can run in this reply: never say that you set, saved, sent or switched anything "
    "unless a tool result above shows it was done; if the request needed an action, say you "
    "did not do it."
)
