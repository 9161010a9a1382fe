"""A connection to one MCP server over stdio, with the official `mcp` SDK.

The SDK is asyncio-based and its stdio transport must be opened and closed by the same
task, so each connection owns a small event loop on a background thread: one task opens
the transport and session, then waits; tool calls from any thread are scheduled onto
that loop. This keeps inference threads free of event loops and the server process
alive between calls (starting a server per call would cost seconds each time).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any, TypeVar

from mcp import ClientSession, StdioServerParameters
from mcp import types as mcp_types
from mcp.client.stdio import stdio_client

from oculi.tools.errors import ToolError, ToolUnavailable
from oculi.tools.settings import MCPServerSettings

T = TypeVar("T")


def _flatten(exc: BaseException) -> str:
    """The innermost messages of an (anyio) exception group, readable in one line."""
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_flatten(e) for e in exc.exceptions)
    return f"{type(exc).__name__}: {exc}"


class MCPServerConnection:
    def __init__(
        self,
        name: str,
        command: str,
        args: list[str] | None = None,
        *,
        env: dict[str, str] | None = None,
        cwd: str | None = None,
        startup_timeout: float = 20.0,
    ) -> None:
        self.name = name
        self.params = StdioServerParameters(command=command, args=args or [], env=env or None, cwd=cwd)
        self.startup_timeout = startup_timeout
        self.tools: list[mcp_types.Tool] = []
        self.server_name: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._session: ClientSession | None = None
        self._stop: asyncio.Event | None = None
        self._serving: asyncio.Future[None] | None = None

    @classmethod
    def from_settings(cls, name: str, s: MCPServerSettings) -> MCPServerConnection:
        return cls(name, s.command, s.args, env=s.env, cwd=s.cwd, startup_timeout=s.startup_timeout_seconds)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Launch the server, initialise the session and list its tools (or raise clearly)."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"oculi-mcp-{self.name}", daemon=True)
        self._thread.start()
        ready: asyncio.Future[list[mcp_types.Tool]] = self._loop.create_future()
        self._serving = asyncio.run_coroutine_threadsafe(self._serve(ready), self._loop)  # type: ignore[assignment]
        try:
            self.tools = asyncio.run_coroutine_threadsafe(self._wait(ready), self._loop).result(self.startup_timeout)
        except Exception as exc:
            self.close()
            reason = "it did not start in time" if isinstance(exc, TimeoutError) else _flatten(exc)
            raise ToolUnavailable(
                f"MCP server {self.name!r} ({self.params.command} {' '.join(self.params.args)}) "
                f"could not be used: {reason}",
                hint=f"check tools.mcp_servers.{self.name} (command, args, env) and run it by hand",
            ) from exc

    @staticmethod
    async def _wait(ready: asyncio.Future[T]) -> T:
        return await ready

    async def _serve(self, ready: asyncio.Future[list[mcp_types.Tool]]) -> None:
        self._stop = asyncio.Event()
        try:
            async with stdio_client(self.params) as (read, write):
                async with ClientSession(read, write) as session:
                    init = await session.initialize()
                    self.server_name = init.serverInfo.name
                    tools: list[mcp_types.Tool] = []
                    cursor = None
                    while True:  # the tool list may be paginated
                        page = await session.list_tools(cursor=cursor) if cursor else await session.list_tools()
                        tools.extend(page.tools)
                        cursor = page.nextCursor
                        if not cursor:
                            break
                    self._session = session
                    ready.set_result(tools)
                    await self._stop.wait()
        except BaseException as exc:  # noqa: BLE001 - reported to start() or to later calls
            if not ready.done():
                ready.set_exception(exc if isinstance(exc, Exception) else RuntimeError(_flatten(exc)))
        finally:
            self._session = None

    def close(self) -> None:
        loop = self._loop
        if loop is None:
            return
        if self._stop is not None:
            loop.call_soon_threadsafe(self._stop.set)
        if self._serving is not None:
            try:
                self._serving.result(10)  # type: ignore[call-arg]
            except Exception:
                pass
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(5)
        self._loop = None

    # ------------------------------------------------------------------ calls
    def _run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        if self._loop is None:
            coro.close()
            raise ToolUnavailable(f"MCP server {self.name!r} is not running")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout + 1)

    def call_tool(self, tool: str, arguments: dict[str, Any], timeout: float = 30.0) -> Any:
        """Call one tool; text for the model, or ToolError with the server's own message."""

        async def call() -> mcp_types.CallToolResult:
            if self._session is None:
                raise ToolUnavailable(
                    f"MCP server {self.name!r} has stopped",
                    hint="restart oculi; check the server's own log (stderr)",
                )
            return await self._session.call_tool(
                tool, arguments, read_timeout_seconds=timedelta(seconds=timeout)
            )

        try:
            result = self._run(call(), timeout)
        except ToolError:
            raise
        except Exception as exc:
            raise ToolUnavailable(f"MCP server {self.name!r} failed on {tool}: {_flatten(exc)}") from exc
        text = render_content(result)
        if result.isError:
            raise ToolError(f"{self.name}/{tool}: {text}", code="mcp_tool_error")
        return text


def render_content(result: mcp_types.CallToolResult) -> Any:
    """Text blocks joined; structured content when there is no text; other media named."""
    parts: list[str] = []
    for block in result.content:
        if isinstance(block, mcp_types.TextContent):
            parts.append(block.text)
        elif isinstance(block, (mcp_types.ImageContent, mcp_types.AudioContent)):
            parts.append(f"[{block.type}: {block.mimeType}]")
        elif isinstance(block, mcp_types.EmbeddedResource):
            res = block.resource
            parts.append(getattr(res, "text", None) or f"[resource: {res.uri}]")
        elif isinstance(block, mcp_types.ResourceLink):
            parts.append(f"[resource: {block.uri}]")
    if not parts and result.structuredContent is not None:
        return result.structuredContent
    return "\n".join(parts)
