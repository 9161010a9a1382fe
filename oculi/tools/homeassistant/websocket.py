"""Home Assistant WebSocket client (https://developers.home-assistant.io/docs/api/websocket/).

The protocol: the server says `auth_required`, we send `auth` with the token, it answers
`auth_ok` (or `auth_invalid`); then every command carries an `id` and its `result` (and,
for subscriptions, every later `event`) comes back with the same id. One reader task
routes incoming messages to the waiting command or the subscription's queue.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from oculi.tools.errors import ToolError, ToolUnavailable

_CLOSED: dict[str, Any] = {}  # queued (by identity) when the connection ends


def websocket_url(url: str) -> str:
    base = url.rstrip("/")
    if base.startswith("https://"):
        base = "wss://" + base.removeprefix("https://")
    elif base.startswith("http://"):
        base = "ws://" + base.removeprefix("http://")
    return base + "/api/websocket"


class HomeAssistantWebSocket:
    def __init__(self, url: str, token: str, *, timeout: float = 10.0) -> None:
        self.url = websocket_url(url)
        self.token = token
        self.timeout = timeout
        self.ha_version: str | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._subscriptions: dict[int, asyncio.Queue[dict[str, Any]]] = {}
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> HomeAssistantWebSocket:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def connect(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, connect=self.timeout))
        try:
            self._ws = await self._session.ws_connect(self.url, heartbeat=30)
            hello = await self._ws.receive_json(timeout=self.timeout)
            if hello.get("type") != "auth_required":
                raise ToolError(f"unexpected first message from Home Assistant: {hello}", code="ha_protocol")
            self.ha_version = hello.get("ha_version")
            await self._ws.send_json({"type": "auth", "access_token": self.token})
            answer = await self._ws.receive_json(timeout=self.timeout)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            await self.close()
            raise ToolUnavailable(f"cannot open Home Assistant's WebSocket at {self.url}: {exc}",
                                  hint="check tools.homeassistant.url") from exc
        except ToolError:
            await self.close()
            raise
        if answer.get("type") != "auth_ok":
            await self.close()
            raise ToolUnavailable(
                f"Home Assistant refused the token: {answer.get('message', answer.get('type'))}",
                hint="set a valid long-lived access token in tools.homeassistant.token",
            )
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except (asyncio.CancelledError, Exception):
                pass
            self._reader = None
        if self._ws is not None:
            await self._ws.close()
            self._ws = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _read(self) -> None:
        assert self._ws is not None
        error: Exception = ToolUnavailable("Home Assistant closed the WebSocket")
        try:
            async for msg in self._ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    continue
                data = msg.json()
                for item in data if isinstance(data, list) else [data]:  # HA may batch messages
                    self._route(item)
        except Exception as exc:
            error = exc
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(error)
        for queue in self._subscriptions.values():
            queue.put_nowait(_CLOSED)

    def _route(self, item: dict[str, Any]) -> None:
        mid = item.get("id")
        if item.get("type") == "event" and mid in self._subscriptions:
            self._subscriptions[mid].put_nowait(item["event"])
        elif mid in self._pending:
            fut = self._pending.pop(mid)
            if not fut.done():
                fut.set_result(item)

    async def command(self, type_: str, **fields: Any) -> Any:
        """Send one command and return its `result` (raises ToolError when success is false)."""
        if self._ws is None:
            raise ToolUnavailable("the Home Assistant WebSocket is not connected")
        mid = next(self._ids)
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[mid] = fut
        await self._ws.send_json({"id": mid, "type": type_, **fields})
        try:
            reply = await asyncio.wait_for(fut, self.timeout)
        except TimeoutError as exc:
            self._pending.pop(mid, None)
            raise ToolUnavailable(f"Home Assistant did not answer {type_} in time") from exc
        if not reply.get("success", False):
            err = reply.get("error") or {}
            raise ToolError(
                f"Home Assistant: {err.get('message', 'command failed')}",
                code=f"ha_{err.get('code', 'error')}",
            )
        return reply.get("result")

    async def get_states(self) -> list[dict[str, Any]]:
        return list(await self.command("get_states"))

    async def call_service(
        self,
        domain: str,
        service: str,
        service_data: dict[str, Any] | None = None,
        target: dict[str, Any] | None = None,
    ) -> Any:
        fields: dict[str, Any] = {"domain": domain, "service": service}
        if service_data:
            fields["service_data"] = service_data
        if target:
            fields["target"] = target
        return await self.command("call_service", **fields)

    async def subscribe_events(self, event_type: str | None = None) -> AsyncIterator[dict[str, Any]]:
        """Yield events (e.g. "state_changed") until the connection closes or the caller stops."""
        if self._ws is None:
            raise ToolUnavailable("the Home Assistant WebSocket is not connected")
        mid = next(self._ids)
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._subscriptions[mid] = queue
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[mid] = fut
        fields: dict[str, Any] = {"event_type": event_type} if event_type else {}
        await self._ws.send_json({"id": mid, "type": "subscribe_events", **fields})
        reply = await asyncio.wait_for(fut, self.timeout)
        if not reply.get("success", False):
            self._subscriptions.pop(mid, None)
            raise ToolError(f"Home Assistant refused the subscription: {reply.get('error')}", code="ha_error")
        try:
            while True:
                event = await queue.get()
                if event is _CLOSED:
                    return
                yield event
        finally:
            self._subscriptions.pop(mid, None)
            if self._ws is not None and not self._ws.closed:
                try:
                    await self.command("unsubscribe_events", subscription=mid)
                except Exception:
                    pass
