"""The agent's instructions and the "now" line that lets it turn "at six" into a time.

The clock line goes in its own system message just before the wearer's latest words, not
in the first system message: the first message and the tool list then stay byte-identical
from turn to turn, so the engine reuses their KV cache instead of re-reading ~1,500 tokens.
"""

from __future__ import annotations

from datetime import datetime

TOOL_GUIDANCE = (
    "You act for the wearer through tools. Call a tool when the request needs an action, or "
    "live information from the device (including what its camera sees right now), the home "
    "or the wearer's own data (notes, reminders, memories); for general "
    "knowledge, advice, maths or chat, answer directly without a tool. Fill tool arguments "
    "only from what the wearer said, never invent them. After a tool result, tell the wearer "
    "the outcome in one short spoken sentence; if a tool failed or was declined, say so.\n"
    "To use a tool, reply with only:\n"
    '<tool_call>\n{"name": "tool_name", "arguments": {...}}\n</tool_call>'
)


def system_prompt(base: str) -> str:
    return f"{base}\n\n{TOOL_GUIDANCE}"


def clock_line(now: datetime) -> str:
    return f"Current local time: {now.strftime('%A %Y-%m-%d %H:%M')}."
