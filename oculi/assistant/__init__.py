"""The one assistant: a session that owns the conversation, the tools, the view and memory.

Every interface (the chat CLI, `oculi ask`, `oculi listen`, `oculi live`, realtime sessions
and the HUD) is a thin transport over `Assistant`: it hands in what the wearer said (typed
or transcribed) and what the camera sees, and renders the events that come back.
"""

from oculi.assistant.events import (
    AssistantEvent,
    MemoryStateChanged,
    NotificationFired,
)
from oculi.assistant.session import Assistant, TurnResult
from oculi.assistant.view import CurrentView, ViewSnapshot

__all__ = [
    "Assistant",
    "AssistantEvent",
    "CurrentView",
    "MemoryStateChanged",
    "NotificationFired",
    "TurnResult",
    "ViewSnapshot",
]
