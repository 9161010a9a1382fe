"""Assemble the tools of one oculi process from settings and the backends it has.

The runtime owns what lives as long as the process: the reminder scheduler thread, the
Home Assistant client and MCP server processes. A part that cannot start (a broken
plugin, an MCP server that will not launch) is recorded in `problems` and left out; the
rest of the assistant keeps working.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from oculi.errors import OculiError
from oculi.tools.base import Tool
from oculi.tools.builtins.device import DeviceStatusTool
from oculi.tools.builtins.notes import NotesStore, NoteTools
from oculi.tools.builtins.perception import Backends, perception_tools
from oculi.tools.builtins.reminder_store import ReminderStore
from oculi.tools.builtins.reminders import ReminderTools
from oculi.tools.builtins.scheduler import ReminderScheduler
from oculi.tools.builtins.translate import TranslateTool
from oculi.tools.notify import LogNotifier, Notifier
from oculi.tools.plugins import load_plugins
from oculi.tools.registry import ToolRegistry
from oculi.tools.settings import ToolsSettings

log = logging.getLogger(__name__)


class ToolRuntime:
    def __init__(
        self,
        settings: ToolsSettings,
        *,
        data_dir: Path,
        engine: Callable[[], Any] | None = None,
        notifier: Notifier | None = None,
        backends: Backends | None = None,
        model_store: Any | None = None,
        run_scheduler: bool = True,
        connect: bool = True,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        """`engine` is a provider (called on first use); `connect=False` starts no MCP servers;
        `clock` is "now" for the reminder tools (an evaluation fixes it)."""
        self.settings = settings
        self.problems: list[OculiError] = []
        self.registry = ToolRegistry(
            timeout_seconds=settings.timeout_seconds, max_result_chars=settings.max_result_chars
        )
        self.reminder_store = ReminderStore(data_dir / "tools" / "reminders.sqlite3")
        self.scheduler = ReminderScheduler(self.reminder_store, notifier or LogNotifier())
        self._closers: list[Callable[[], None]] = [self.scheduler.stop, self.registry.close]

        tools: list[Tool] = []
        tools += ReminderTools(self.reminder_store, on_change=self.scheduler.wake, now=clock).tools()
        tools += NoteTools(NotesStore(data_dir / "tools" / "notes.sqlite3")).tools()
        if engine is not None:
            tools += TranslateTool(engine).tools()
        tools += DeviceStatusTool(data_dir, model_store).tools()
        tools += perception_tools(backends or Backends())
        tools += self._guarded("plugins", lambda: load_plugins(settings.enabled_plugins))
        if settings.homeassistant.url:
            tools += self._guarded("Home Assistant", self._homeassistant_tools)
        if connect:
            for name, server in settings.mcp_servers.items():
                if server.enabled:
                    tools += self._guarded(f"MCP server {name!r}", lambda n=name, s=server: self._mcp_tools(n, s))
        for t in tools:
            if settings.is_disabled(t.name):
                continue
            try:
                self.registry.register(t)
            except OculiError as exc:
                self.problems.append(exc)
        if run_scheduler:
            self.scheduler.start()

    def _guarded(self, what: str, make: Callable[[], list[Tool]]) -> list[Tool]:
        try:
            return make()
        except OculiError as exc:
            log.warning("%s left out: %s", what, exc)
            self.problems.append(exc)
        except Exception as exc:
            log.exception("%s left out", what)
            self.problems.append(OculiError(f"{what} left out: {exc}", code="tool_setup_failed"))
        return []

    def _homeassistant_tools(self) -> list[Tool]:
        from oculi.tools.homeassistant.client import HomeAssistantClient
        from oculi.tools.homeassistant.tools import HomeAssistantTools

        ha = self.settings.homeassistant
        client = HomeAssistantClient(
            ha.url or "", ha.token.get_secret_value() if ha.token else "", timeout=ha.timeout_seconds
        )
        self._closers.append(client.close)
        return HomeAssistantTools(client, ha).tools()

    def _mcp_tools(self, name: str, server: Any) -> list[Tool]:
        from oculi.tools.mcp.client import MCPServerConnection
        from oculi.tools.mcp.tools import mcp_tools

        conn = MCPServerConnection.from_settings(name, server)
        conn.start()
        self._closers.append(conn.close)
        return mcp_tools(conn, server.confirm, timeout=self.settings.timeout_seconds)

    def close(self) -> None:
        for close in reversed(self._closers):
            try:
                close()
            except Exception:
                log.exception("closing a tool backend failed")
        self._closers = []

    def __enter__(self) -> ToolRuntime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
