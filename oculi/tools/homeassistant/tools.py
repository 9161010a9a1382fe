"""Home Assistant as tools: list entities, read a state, call a service.

Service calls in sensitive domains (locks, alarms, covers…) need the wearer's
confirmation; the domain is read from the call and from the entity id, so
`homeassistant.turn_off` on `lock.front_door` asks too.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from oculi.tools.base import Tool, function_tool
from oculi.tools.homeassistant.client import HomeAssistantClient
from oculi.tools.settings import HomeAssistantSettings

_KEEP_ATTRIBUTES = ("friendly_name", "unit_of_measurement", "device_class", "brightness",
                    "current_temperature", "temperature", "hvac_action", "media_title")


def _summary(state: dict[str, Any]) -> dict[str, Any]:
    attrs = state.get("attributes") or {}
    out = {"entity_id": state.get("entity_id"), "state": state.get("state")}
    if attrs.get("friendly_name"):
        out["name"] = attrs["friendly_name"]
    if attrs.get("unit_of_measurement"):
        out["unit"] = attrs["unit_of_measurement"]
    return out


class HomeAssistantTools:
    def __init__(self, client: HomeAssistantClient, settings: HomeAssistantSettings) -> None:
        self.client = client
        self.settings = settings

    def home_list_entities(self, domain: str = "", search: str = "") -> dict[str, Any]:
        """List the smart-home devices and sensors (Home Assistant entities) with their states.

        Args:
            domain: only this kind, e.g. "light", "switch", "cover", "sensor", "lock",
                "climate"; empty for all
            search: only entities whose id or name contains these words, e.g. "garage"
        """
        words = search.lower().split()
        found = []
        for s in self.client.states():
            eid = str(s.get("entity_id", ""))
            name = str((s.get("attributes") or {}).get("friendly_name", ""))
            if domain and not eid.startswith(domain.strip().lower() + "."):
                continue
            hay = f"{eid} {name}".lower().replace("_", " ")
            if words and not all(w in hay for w in words):
                continue
            found.append(_summary(s))
        total = len(found)
        out: dict[str, Any] = {"entities": found[: self.settings.max_entities]}
        if total > self.settings.max_entities:
            out["note"] = f"{total} matched; narrow with domain or search"
        return out

    def home_get_state(self, entity_id: str) -> dict[str, Any]:
        """Read the current state of one smart-home entity (e.g. "sensor.attic_humidity").

        Args:
            entity_id: the entity id, "domain.object_id", copied exactly when the wearer names one
        """
        s = self.client.state(entity_id)
        attrs = s.get("attributes") or {}
        out = _summary(s)
        out["attributes"] = {k: attrs[k] for k in _KEEP_ATTRIBUTES if k in attrs}
        out["last_changed"] = s.get("last_changed")
        return out

    def home_call_service(
        self,
        domain: str,
        service: str,
        entity_id: str,
        data: Annotated[dict[str, Any] | None, Field(description="extra service data, e.g. {\"brightness_pct\": 50}")] = None,
    ) -> dict[str, Any]:
        """Control a smart-home device now through a Home Assistant service: lights, switches
        and plugs, covers and blinds, fans, locks, and thermostats (set one to 20 degrees).

        Args:
            domain: the entity id's part before the dot ("cover" for cover.kitchen_blind)
            service: the service, e.g. "turn_on", "turn_off", "toggle", "open_cover",
                "close_cover", "lock", "unlock", "set_temperature" (a thermostat)
            entity_id: the entity to act on, copied exactly when the wearer names one
                (e.g. "cover.kitchen_blind", "switch.desk_lamp")
        """
        changed = self.client.call_service(domain, service, {**(data or {}), "entity_id": entity_id})
        return {"called": f"{domain}.{service}", "entity_id": entity_id,
                "changed": [_summary(s) for s in changed]}

    def needs_confirmation(self, args: dict[str, Any]) -> bool:
        sensitive = {d.lower() for d in self.settings.confirm_domains}
        entity_domain = str(args.get("entity_id", "")).split(".", 1)[0].lower()
        return str(args.get("domain", "")).lower() in sensitive or entity_domain in sensitive

    def tools(self) -> list[Tool]:
        src = "homeassistant"
        return [
            function_tool(self.home_list_entities, data=["home"], source=src),
            function_tool(self.home_get_state, data=["home"], source=src),
            function_tool(self.home_call_service, data=["home"], source=src, confirm=self.needs_confirmation),
        ]
