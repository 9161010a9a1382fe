"""The session's one event vocabulary, mapped to each transport at its edge.

A turn yields the agent's events (answer text, tool call started, confirmation, tool result,
done); outside turns the session pushes notifications (a timer rang) and memory state
changes to its listeners. The CLI prints them, voice speaks them, the realtime session turns
them into `oculi.realtime/1` events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from oculi.agent.events import (
    AgentDone,
    AgentEvent,
    AnswerDelta,
    ConfirmationAsked,
    ToolCallFinished,
    ToolCallStarted,
)
from oculi.tools.notify import Notification


@dataclass
class NotificationFired:
    """A timer or reminder fell due; `notification.text` is the sentence to speak."""

    notification: Notification
    type: Literal["notification"] = "notification"


@dataclass
class MemoryStateChanged:
    """Live memory started or stopped recording (the HUD's memory-on indicator)."""

    recording: bool
    reason: str = ""
    type: Literal["memory_state"] = "memory_state"


AssistantEvent = AgentEvent | NotificationFired | MemoryStateChanged

__all__ = [
    "AgentDone",
    "AnswerDelta",
    "AssistantEvent",
    "ConfirmationAsked",
    "MemoryStateChanged",
    "NotificationFired",
    "ToolCallFinished",
    "ToolCallStarted",
]
