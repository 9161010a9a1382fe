"""Tools the agent can call: a framework (typed functions → JSON schema), a registry that
turns every failure into a message for the model, built-ins, plugins, Home Assistant and MCP.
"""

from oculi.tools.base import Tool, ToolResult, function_tool, tool
from oculi.tools.registry import ConfirmationRequest, ToolRegistry

__all__ = ["ConfirmationRequest", "Tool", "ToolRegistry", "ToolResult", "function_tool", "tool"]
