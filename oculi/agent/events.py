"""What the agent shows while it works: typed events every interface can render or serialise.

Each event has a `type` tag so the CLI, the voice pipeline, the HUD and the API (as JSON
or server-sent events) can switch on it without isinstance checks.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from oculi.llm.messages import ChatMessage, Usage


@dataclass
class AnswerDelta:
    """A piece of the answer text, as the model writes it."""

    text: str
    type: Literal["text"] = "text"


@dataclass
class ToolCallStarted:
    call_id: str
    name: str
    arguments: dict[str, Any] | str  # the parsed object, or the raw text if it was not JSON
    step: int
    type: Literal["tool_call"] = "tool_call"


@dataclass
class ConfirmationAsked:
    """The wearer was asked to allow a call; `approved` is their answer."""

    call_id: str
    name: str
    arguments: dict[str, Any]
    approved: bool
    type: Literal["confirmation"] = "confirmation"


@dataclass
class ToolCallFinished:
    call_id: str
    name: str
    ok: bool
    content: str  # exactly what the model reads back
    error_code: str | None
    truncated: bool
    seconds: float
    type: Literal["tool_result"] = "tool_result"


@dataclass
class AgentDone:
    """Last event of a turn: the whole answer and the messages to keep in the history."""

    text: str
    messages: list[ChatMessage]  # the new messages of this turn (assistant/tool), in order
    steps: int
    finish_reason: str
    usage: Usage = field(default_factory=Usage)
    type: Literal["done"] = "done"


AgentEvent = AnswerDelta | ToolCallStarted | ConfirmationAsked | ToolCallFinished | AgentDone


def event_to_dict(event: AgentEvent) -> dict[str, Any]:
    """A JSON-ready dict (messages in OpenAI shape), for the API and logs."""
    if isinstance(event, AgentDone):
        d = {k: v for k, v in asdict(event).items() if k != "messages"}
        d["messages"] = [_message_dict(m) for m in event.messages]
        return d
    return asdict(event)


def _message_dict(m: ChatMessage) -> dict[str, Any]:
    d: dict[str, Any] = {"role": m.role, "content": m.content}
    if m.tool_calls:
        d["tool_calls"] = [c.to_openai() for c in m.tool_calls]
    if m.tool_call_id:
        d["tool_call_id"] = m.tool_call_id
    return d
