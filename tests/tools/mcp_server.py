"""A tiny real MCP server (official SDK, FastMCP) that the MCP tests start over stdio."""

from __future__ import annotations

import time

from mcp.server.fastmcp import FastMCP
from mcp.types import ToolAnnotations

server = FastMCP("oculi-test-server")
_shopping: list[str] = []


@server.tool(annotations=ToolAnnotations(readOnlyHint=True))
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
def add_to_shopping_list(item: str, quantity: int = 1) -> str:
    """Add an item to the shopping list."""
    _shopping.append(f"{quantity} x {item}")
    return f"shopping list now: {', '.join(_shopping)}"


@server.tool(annotations=ToolAnnotations(readOnlyHint=True))
def fail(reason: str) -> str:
    """Always fails, with the given reason."""
    raise ValueError(reason)


@server.tool(annotations=ToolAnnotations(readOnlyHint=True))
def slow(seconds: float) -> str:
    """Sleeps, then answers."""
    time.sleep(seconds)
    return "awake"


if __name__ == "__main__":
    server.run("stdio")
