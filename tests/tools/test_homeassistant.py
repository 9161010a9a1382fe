"""The Home Assistant client and tools against a stand-in server speaking HA's documented API."""

from __future__ import annotations

import asyncio
import json

import pytest

from oculi.tools.errors import ToolError, ToolUnavailable
from oculi.tools.homeassistant.client import HomeAssistantClient
from oculi.tools.homeassistant.websocket import HomeAssistantWebSocket
from oculi.tools.runtime import ToolRuntime
from oculi.tools.settings import HomeAssistantSettings, ToolsSettings

from .ha_standin import TOKEN, StandInHomeAssistant


@pytest.fixture
def ha():
    server = StandInHomeAssistant()
    url = server.start()
    yield server, url
    server.stop()


def test_rest_states_and_services(ha):
    _, url = ha
    client = HomeAssistantClient(url, TOKEN)
    try:
        assert client.check() == "API running."
        assert {s["entity_id"] for s in client.states()} >= {"light.kitchen", "lock.front_door"}
        assert client.state("sensor.outdoor_temperature")["state"] == "12.5"
        changed = client.call_service("light", "turn_on", {"entity_id": "light.kitchen"})
        assert changed[0]["state"] == "on" and client.state("light.kitchen")["state"] == "on"
        with pytest.raises(ToolError, match="no /api/states/light.garage"):
            client.state("light.garage")
    finally:
        client.close()


def test_rest_bad_token_and_unreachable_are_clear(ha):
    _, url = ha
    bad = HomeAssistantClient(url, "wrong")
    with pytest.raises(ToolUnavailable, match="refused the access token"):
        bad.states()
    bad.close()
    gone = HomeAssistantClient("http://127.0.0.1:9", TOKEN, timeout=2)
    with pytest.raises(ToolUnavailable, match="cannot reach"):
        gone.states()
    gone.close()


def test_websocket_auth_states_service_and_events(ha):
    server, url = ha

    async def scenario():
        async with HomeAssistantWebSocket(url, TOKEN) as ws:
            assert ws.ha_version == "2026.11.0"
            states = await ws.get_states()
            assert any(s["entity_id"] == "light.living_room" for s in states)
            events = ws.subscribe_events("state_changed")
            first = asyncio.ensure_future(events.__anext__())
            await asyncio.sleep(0.1)  # the subscription is acknowledged before the call
            await ws.call_service("light", "turn_off", target={"entity_id": "light.living_room"})
            event = await asyncio.wait_for(first, 5)
            await events.aclose()
            return event

    event = asyncio.run(scenario())
    assert event["event_type"] == "state_changed"
    assert event["data"]["entity_id"] == "light.living_room"
    assert event["data"]["new_state"]["state"] == "off"
    assert server.states["light.living_room"]["state"] == "off"


def test_websocket_bad_token_and_failed_command(ha):
    _, url = ha

    async def bad_token():
        async with HomeAssistantWebSocket(url, "nope"):
            pass

    with pytest.raises(ToolUnavailable, match="refused the token"):
        asyncio.run(bad_token())

    async def bad_service():
        async with HomeAssistantWebSocket(url, TOKEN) as ws:
            await ws.call_service("vacuum", "explode")

    with pytest.raises(ToolError, match="Service not found"):
        asyncio.run(bad_service())


def test_tools_list_read_call_and_confirm_locks(ha, tmp_path):
    server, url = ha
    settings = ToolsSettings(homeassistant=HomeAssistantSettings(url=url, token=TOKEN))
    with ToolRuntime(settings, data_dir=tmp_path, run_scheduler=False) as rt:
        reg = rt.registry
        assert rt.problems == []
        lights = reg.call("home_list_entities", {"domain": "light"}).value["entities"]
        assert {e["entity_id"] for e in lights} == {"light.kitchen", "light.living_room"}
        kitchen = reg.call("home_list_entities", {"search": "kitchen"}).value["entities"]
        assert [e["name"] for e in kitchen] == ["Kitchen light"]
        temp = reg.call("home_get_state", {"entity_id": "sensor.outdoor_temperature"}).value
        assert temp["state"] == "12.5" and temp["unit"] == "°C"
        missing = reg.call("home_get_state", {"entity_id": "sensor.nope"})
        assert missing.error_code == "ha_not_found" and "list the entities" in missing.content
        on = reg.call("home_call_service", {"domain": "light", "service": "turn_on",
                                            "entity_id": "light.kitchen", "data": {"brightness_pct": 40}})
        assert on.ok and on.value["changed"][0]["state"] == "on"
        assert server.states["light.kitchen"]["attributes"]["brightness"] == 102
        # a lock asks first: declined → nothing sent to HA
        args = {"domain": "lock", "service": "unlock", "entity_id": "lock.front_door"}
        assert reg.call("home_call_service", args, confirm=lambda r: False).error_code == "tool_declined"
        assert server.states["lock.front_door"]["state"] == "locked"
        assert reg.call("home_call_service", args, confirm=lambda r: True).ok
        assert server.states["lock.front_door"]["state"] == "unlocked"
        assert reg.get("home_call_service").needs_confirmation({"domain": "homeassistant", "entity_id": "lock.x"})


def test_unreachable_home_assistant_is_a_message_not_a_crash(tmp_path):
    settings = ToolsSettings(homeassistant=HomeAssistantSettings(url="http://127.0.0.1:9", token="t", timeout_seconds=2))
    with ToolRuntime(settings, data_dir=tmp_path, run_scheduler=False) as rt:
        r = rt.registry.call("home_list_entities", {})
        assert r.error_code == "tool_unavailable"
        assert "tools.homeassistant.url" in json.loads(r.content)["hint"]
