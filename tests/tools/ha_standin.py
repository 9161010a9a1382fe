"""A stand-in Home Assistant that speaks the documented REST and WebSocket APIs on 127.0.0.1.

Only what the client uses: bearer auth on REST; `auth_required → auth → auth_ok|auth_invalid`
on the WebSocket; `get_states`, `call_service`, `subscribe_events`, `unsubscribe_events`
with ids; `state_changed` events fired by service calls made through either API.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

TOKEN = "test-long-lived-token"


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _entity(eid: str, state: str, **attrs: Any) -> dict[str, Any]:
    return {"entity_id": eid, "state": state, "attributes": attrs, "last_changed": _now(),
            "last_updated": _now(), "context": {"id": "01", "parent_id": None, "user_id": None}}


SERVICES = {
    ("light", "turn_on"): "on", ("light", "turn_off"): "off",
    ("switch", "turn_on"): "on", ("switch", "turn_off"): "off",
    ("lock", "lock"): "locked", ("lock", "unlock"): "unlocked",
}


class StandInHomeAssistant:
    def __init__(self) -> None:
        self.states: dict[str, dict[str, Any]] = {
            e["entity_id"]: e
            for e in [
                _entity("light.kitchen", "off", friendly_name="Kitchen light"),
                _entity("light.living_room", "on", friendly_name="Living room lamp", brightness=180),
                _entity("lock.front_door", "locked", friendly_name="Front door"),
                _entity("sensor.outdoor_temperature", "12.5", friendly_name="Outdoor temperature",
                        unit_of_measurement="°C", device_class="temperature"),
            ]
        }
        self.service_calls: list[tuple[str, str, dict[str, Any]]] = []
        self._subscribers: list[tuple[web.WebSocketResponse, int, str | None]] = []
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --------------------------------------------------------------- lifecycle
    def start(self) -> str:
        ready = threading.Event()
        threading.Thread(target=self._serve, args=(ready,), daemon=True).start()
        ready.wait(10)
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)

    def _serve(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_get("/api/", self.api_root)
        app.router.add_get("/api/states", self.get_states)
        app.router.add_get("/api/states/{entity_id}", self.get_state)
        app.router.add_post("/api/services/{domain}/{service}", self.post_service)
        app.router.add_get("/api/websocket", self.websocket)
        self._runner = web.AppRunner(app)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        ready.set()
        self._loop.run_forever()

    # --------------------------------------------------------------- REST
    @staticmethod
    def _authorised(request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {TOKEN}"

    async def api_root(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"message": "401: Unauthorized"}, status=401)
        return web.json_response({"message": "API running."})

    async def get_states(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"message": "401: Unauthorized"}, status=401)
        return web.json_response(list(self.states.values()))

    async def get_state(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"message": "401: Unauthorized"}, status=401)
        state = self.states.get(request.match_info["entity_id"])
        if state is None:
            return web.json_response({"message": "Entity not found."}, status=404)
        return web.json_response(state)

    async def post_service(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"message": "401: Unauthorized"}, status=401)
        data = await request.json() if request.can_read_body else {}
        key = (request.match_info["domain"], request.match_info["service"])
        if key not in SERVICES:
            return web.json_response({"message": f"Service {key[0]}.{key[1]} not found."}, status=400)
        return web.json_response(await self._apply(key, data))

    async def _apply(self, key: tuple[str, str], data: dict[str, Any]) -> list[dict[str, Any]]:
        self.service_calls.append((key[0], key[1], data))
        ids = data.get("entity_id", [])
        changed = []
        for eid in [ids] if isinstance(ids, str) else ids:
            if eid in self.states and eid.startswith(key[0] + "."):
                old = dict(self.states[eid])
                new = {**old, "state": SERVICES[key], "last_changed": _now()}
                if "brightness_pct" in data:
                    new["attributes"] = {**old["attributes"], "brightness": round(data["brightness_pct"] * 2.55)}
                self.states[eid] = new
                changed.append(new)
                await self._fire("state_changed", {"entity_id": eid, "old_state": old, "new_state": new})
        return changed

    async def _fire(self, event_type: str, data: dict[str, Any]) -> None:
        event = {"event_type": event_type, "data": data, "origin": "LOCAL", "time_fired": _now()}
        for ws, sub_id, wanted in list(self._subscribers):
            if wanted in (None, event_type) and not ws.closed:
                await ws.send_json({"id": sub_id, "type": "event", "event": event})

    # --------------------------------------------------------------- WebSocket
    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "auth_required", "ha_version": "2026.11.0"})
        auth = await ws.receive_json()
        if auth.get("type") != "auth" or auth.get("access_token") != TOKEN:
            await ws.send_json({"type": "auth_invalid", "message": "Invalid access token or password"})
            await ws.close()
            return ws
        await ws.send_json({"type": "auth_ok", "ha_version": "2026.11.0"})
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            cmd = msg.json()
            mid, kind = cmd.get("id"), cmd.get("type")
            if kind == "get_states":
                await ws.send_json({"id": mid, "type": "result", "success": True, "result": list(self.states.values())})
            elif kind == "call_service":
                key = (cmd["domain"], cmd["service"])
                if key not in SERVICES:
                    await ws.send_json({"id": mid, "type": "result", "success": False,
                                        "error": {"code": "not_found", "message": "Service not found."}})
                    continue
                data = {**cmd.get("service_data", {}), **cmd.get("target", {})}
                await self._apply(key, data)
                await ws.send_json({"id": mid, "type": "result", "success": True,
                                    "result": {"context": {"id": "02"}, "response": None}})
            elif kind == "subscribe_events":
                self._subscribers.append((ws, mid, cmd.get("event_type")))
                await ws.send_json({"id": mid, "type": "result", "success": True, "result": None})
            elif kind == "unsubscribe_events":
                self._subscribers = [s for s in self._subscribers if not (s[0] is ws and s[1] == cmd.get("subscription"))]
                await ws.send_json({"id": mid, "type": "result", "success": True, "result": None})
            else:
                await ws.send_json({"id": mid, "type": "result", "success": False,
                                    "error": {"code": "unknown_command", "message": "Unknown command."}})
        self._subscribers = [s for s in self._subscribers if s[0] is not ws]
        return ws
