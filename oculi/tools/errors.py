"""Tool failures with stable codes.

A tool failure is never fatal to a conversation: the registry turns each of these into a
short message the model reads as the tool's result, so it can apologise, retry or ask.
"""

from __future__ import annotations

from oculi.errors import OculiError


class ToolError(OculiError):
    code = "tool_failed"


class UnknownTool(ToolError):
    code = "unknown_tool"


class InvalidToolArguments(ToolError):
    code = "invalid_tool_arguments"


class ToolTimeout(ToolError):
    code = "tool_timeout"


class ToolDeclined(ToolError):
    code = "tool_declined"


class ToolDefinitionError(ToolError):
    """A tool (often a plugin's) is declared wrongly: found at registration, not at call time."""

    code = "tool_definition_invalid"


class PluginLoadError(ToolError):
    code = "plugin_load_failed"


class ToolUnavailable(ToolError):
    """A backend the tool needs (Home Assistant, an MCP server…) cannot be reached."""

    code = "tool_unavailable"
