"""The tool-using agent: one loop shared by the CLI, voice, API and realtime interfaces."""

from oculi.agent.events import (
    AgentDone,
    AgentEvent,
    AnswerDelta,
    ConfirmationAsked,
    ToolCallFinished,
    ToolCallStarted,
    event_to_dict,
)
from oculi.agent.loop import Agent

__all__ = [
    "Agent", "AgentDone", "AgentEvent", "AnswerDelta", "ConfirmationAsked",
    "ToolCallFinished", "ToolCallStarted", "event_to_dict",
]
