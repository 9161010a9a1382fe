"""Home Assistant's documented services per domain, and a call fitted to them.

Why: the 1.5B default model picks the home tool well and names the service badly. On the
development sets it wrote services a domain does not have — `fan.set_temperature` for "fan
to fifty percent", `media_player.play_media` with a made-up media id for "resume playback",
`volume_set` with `{"volume": 30}` instead of `{"volume_level": 0.3}`, and "lock the front
door" as `cover.lock`. Home Assistant refuses such a call, so the wearer gets an error for a
request that was clear. `fitted` maps a call onto the services the domain really has (from
Home Assistant's integration docs), moving a number it was given to the field that service
reads; a call that already names a real service of its domain is left alone, and a domain
not listed here is never touched (an installation may add its own).
"""

from __future__ import annotations

import re
from typing import Any

# Each domain's services, as documented by Home Assistant (integrations' "Actions" sections).
SERVICES: dict[str, frozenset[str]] = {name: frozenset(services.split()) for name, services in {
    "light": "turn_on turn_off toggle",
    "switch": "turn_on turn_off toggle",
    "input_boolean": "turn_on turn_off toggle",
    "siren": "turn_on turn_off toggle",
    "fan": "turn_on turn_off toggle set_percentage increase_speed decrease_speed oscillate "
           "set_direction set_preset_mode",
    "cover": "open_cover close_cover stop_cover toggle set_cover_position open_cover_tilt "
             "close_cover_tilt stop_cover_tilt set_cover_tilt_position toggle_cover_tilt",
    "lock": "lock unlock open",
    "climate": "turn_on turn_off toggle set_temperature set_hvac_mode set_preset_mode set_fan_mode "
               "set_humidity set_swing_mode",
    "media_player": "turn_on turn_off toggle media_play media_pause media_stop media_play_pause "
                    "media_next_track media_previous_track media_seek volume_set volume_up "
                    "volume_down volume_mute play_media select_source select_sound_mode "
                    "shuffle_set repeat_set clear_playlist join unjoin",
    "vacuum": "start pause stop return_to_base locate clean_spot set_fan_speed send_command",
    "lawn_mower": "start_mowing pause dock",
    "scene": "turn_on apply create delete reload",
    "script": "turn_on turn_off toggle reload",
    "automation": "turn_on turn_off toggle trigger reload",
    "humidifier": "turn_on turn_off toggle set_humidity set_mode",
    "water_heater": "turn_on turn_off set_temperature set_operation_mode set_away_mode",
    "valve": "open_valve close_valve set_valve_position stop_valve toggle",
    "alarm_control_panel": "alarm_arm_away alarm_arm_home alarm_arm_night alarm_arm_vacation "
                           "alarm_arm_custom_bypass alarm_disarm alarm_trigger",
    "button": "press",
    "input_button": "press",
    "number": "set_value",
    "input_number": "set_value increment decrement",
    "select": "select_option select_first select_last select_next select_previous",
    "input_select": "select_option select_first select_last select_next select_previous",
    "remote": "turn_on turn_off toggle send_command",
}.items()}

# Services only one domain has: a call naming one belongs to that domain ("lock" is a lock's).
_OWNER = {service: domain for domain, services in SERVICES.items() for service in services
          if sum(service in s for s in SERVICES.values()) == 1}

# Names the model used for a service the domain has under another name.
_SAME_AS: dict[str, dict[str, str]] = {
    "light": {"set_brightness": "turn_on", "dim": "turn_on", "brighten": "turn_on",
              "set_temperature": "turn_on", "set_color": "turn_on", "set_level": "turn_on"},
    "fan": {"set_temperature": "set_percentage", "set_speed": "set_percentage",
            "set_fan_speed": "set_percentage", "speed": "set_percentage", "set_level": "set_percentage"},
    "media_player": {"set_volume": "volume_set", "volume": "volume_set", "set_volume_level": "volume_set",
                     "play": "media_play", "resume": "media_play", "pause": "media_pause",
                     "stop": "media_stop", "mute": "volume_mute", "next_track": "media_next_track",
                     "previous_track": "media_previous_track"},
    "cover": {"open": "open_cover", "close": "close_cover", "stop": "stop_cover",
              "set_position": "set_cover_position"},
    "vacuum": {"clean": "start", "start_cleaning": "start", "dock": "return_to_base",
               "return_home": "return_to_base", "go_home": "return_to_base"},
    "scene": {"activate": "turn_on", "run": "turn_on"},
    "script": {"run": "turn_on", "start": "turn_on", "execute": "turn_on"},
    "lock": {"lock_door": "lock", "unlock_door": "unlock"},
    "climate": {"set_mode": "set_hvac_mode"},
    "humidifier": {"set_target_humidity": "set_humidity", "set_temperature": "set_humidity",
                   "set_level": "set_humidity"},
}

# The verb said picks the service among those that do different things to one device (a robot
# vacuum asked to go and charge was sent turn_off, a pause of the music media_stop). Only a
# call with another service of the same list is changed; one the list does not hold (play_media
# with a song named, set_cover_position with a position) stays.
_VERB_SERVICE: dict[str, list[tuple[re.Pattern[str], str]]] = {domain: [(re.compile(p), svc) for p, svc in pairs]
                                                              for domain, pairs in {
    "vacuum": [(r"\b(?:dock|base|charg\w*|home|return\w*)\b", "return_to_base"),
               (r"\bpause\b", "pause"), (r"\bstop\b", "stop"), (r"\b(?:locate|find)\b", "locate"),
               (r"\b(?:start|clean|hoover|vacuum the)\b", "start")],
    "media_player": [(r"\b(?:skip|next (?:song|track))\b", "media_next_track"),
                     (r"\b(?:previous|last) (?:song|track)\b", "media_previous_track"),
                     (r"\bpause\b", "media_pause"), (r"\b(?:resume|unpause|carry on|keep playing)\b", "media_play"),
                     (r"\bstop\b", "media_stop"), (r"\bmute\b", "volume_mute")],
    "cover": [(r"\b(?:open|raise|lift)\b", "open_cover"), (r"\b(?:close|shut|lower)\b", "close_cover"),
              (r"\bstop\b", "stop_cover")],
    "lock": [(r"\bunlock\b", "unlock"), (r"\block\b", "lock")],
    "valve": [(r"\bopen\b", "open_valve"), (r"\b(?:close|shut)\b", "close_valve")],
}.items()}


def service_said(domain: str, request: str) -> str | None:
    """The one service of `domain` whose verb `request` says, or None (none, or several)."""
    words = re.sub(r"\b[a-z_]+\.[a-z0-9_]+\b", " ", request.lower())  # not "lock" in lock.side_gate
    found = {svc for pattern, svc in _VERB_SERVICE.get(domain, []) if pattern.search(words)}
    return found.pop() if len(found) == 1 else None


# The field a service's number goes in, and how a spoken percentage is written there.
_NUMBER_FIELD: dict[tuple[str, str], tuple[str, float]] = {
    ("light", "turn_on"): ("brightness_pct", 1.0),
    ("fan", "set_percentage"): ("percentage", 1.0),
    ("media_player", "volume_set"): ("volume_level", 0.01),
    ("cover", "set_cover_position"): ("position", 1.0),
    ("climate", "set_temperature"): ("temperature", 1.0),
    ("humidifier", "set_humidity"): ("humidity", 1.0),
    ("water_heater", "set_temperature"): ("temperature", 1.0),
}
_MODE_SAID = re.compile(r"\b(heat(?:ing)?|cool(?:ing)?|auto|dry|fan only)\s+mode\b|\bmode\s+(?:to\s+)?"
                        r"(heat|cool|auto|dry|off)\b")


# The domain a device word means, for a request that names no entity id (a request to put
# out the patio lamp was sent to switch.patio_lamp).
_DEVICE_DOMAIN = [
    (re.compile(r"\b(?:lights?|lamps?|bulbs?|led strip)\b"), "light"),
    (re.compile(r"\b(?:fans?)\b"), "fan"),
    (re.compile(r"\b(?:blinds?|curtains?|shades?|shutters?|awning|garage door)\b"), "cover"),
    (re.compile(r"\b(?:thermostat|heating|air ?con\w*)\b"), "climate"),
    (re.compile(r"\b(?:tv|television|speakers?|music|radio)\b"), "media_player"),
    (re.compile(r"\b(?:vacuum|hoover|robot)\b"), "vacuum"),
    (re.compile(r"\b(?:humidifier|dehumidifier)\b"), "humidifier"),
]


def domain_said(request: str) -> str | None:
    """The one domain the device words of `request` name, or None (none, or several)."""
    found = {domain for pattern, domain in _DEVICE_DOMAIN if pattern.search(request.lower())}
    return found.pop() if len(found) == 1 else None


def fitted(args: dict[str, Any], request: str = "") -> dict[str, Any]:
    """`args` of a `home_call_service` call with the service and its number as `domain` has
    them; unchanged when they already are, or when the domain is not a documented one."""
    domain = str(args.get("domain") or "").strip().lower()
    service = str(args.get("service") or "").strip().lower()
    entity = str(args.get("entity_id") or "")
    out = dict(args)
    if domain == "homeassistant":  # the generic turn_on/turn_off/toggle: any domain
        return out
    owner = _OWNER.get(service)
    if owner and owner != domain and domain in SERVICES:  # "cover.lock" is a lock's call
        out["domain"] = domain = owner
        if "." in entity:
            out["entity_id"] = f"{owner}.{entity.split('.', 1)[1]}"
    if domain not in SERVICES:
        return out
    if domain == "media_player" and service == "play_media" and _made_up_media(args.get("data")):
        out["service"] = "media_play"  # "resume playback": no media was named
    elif service not in SERVICES[domain]:
        out["service"] = _SAME_AS.get(domain, {}).get(service, service)
    said_service = service_said(domain, request)
    if said_service and out["service"] != said_service and (
            out["service"] not in SERVICES[domain]
            or out["service"] in {svc for _, svc in _VERB_SERVICE[domain]}):
        out["service"] = said_service
    data = args.get("data") if isinstance(args.get("data"), dict) else None
    moved = next((svc for (dom, svc), (key, _) in _NUMBER_FIELD.items()
                  if dom == domain and data and key in data and svc != out["service"]), None)
    if moved and out["service"] != "turn_on":  # `position` given to open_cover: set_cover_position
        out["service"] = moved
    if data and isinstance(data.get("position"), str) and "half" in data["position"]:
        out["data"] = data = {**data, "position": 50}  # "halfway"
    if domain == "light" and out["service"] == "turn_off" and re.search(r"\b(?:dim|brighten)\b", request.lower()):
        out["service"] = "turn_on"  # "dim the bedroom light" leaves it on
    said = _MODE_SAID.search(request.lower())
    if domain == "climate" and said and not re.search(r"\d|degree", request.lower()):
        mode = (said[1] or said[2]).replace("ing", "").replace(" ", "_")
        out["service"], out["data"] = "set_hvac_mode", {"hvac_mode": mode}
        return out
    field = _NUMBER_FIELD.get((domain, out["service"]))
    if field and data and field[0] in data and field[1] != 1.0 and _number(data[field[0]]) and data[field[0]] > 1:
        out["data"] = {**data, field[0]: round(data[field[0]] * field[1], 2)}  # a percentage as said
    elif field and data and field[0] not in data:
        numbers = [v for v in data.values() if _number(v)]
        if len(numbers) == 1:
            scaled = field[1] != 1.0 and numbers[0] > 1  # "thirty percent" is 0.3 there
            out["data"] = {field[0]: round(numbers[0] * field[1], 2) if scaled else numbers[0]}
    elif data and out["service"] == "media_play":
        out["data"] = None
    return out


def _made_up_media(data: Any) -> bool:
    """Whether play_media's data names no real media (the model filled in a placeholder)."""
    if not isinstance(data, dict):
        return True
    media = str(data.get("media_content_id") or "")
    return not media or bool(re.search(r"your_|example|placeholder|media_content_id|<", media))


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
