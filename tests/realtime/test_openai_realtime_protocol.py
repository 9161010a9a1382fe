"""The OpenAI Realtime client-event parser: every bad event is a coded error naming what is
wrong (never silently ignored); the events the SDK sends parse."""

from __future__ import annotations

import json

import pytest

from oculi.realtime.openai_protocol import (
    EventError,
    ItemCreate,
    SessionUpdate,
    error_event,
    parse_client_event,
)


@pytest.mark.parametrize(("text", "code", "param"), [
    ("{not json", "invalid_json", None),
    ("[1, 2]", "invalid_json", None),
    ('{"type": "conversation.item.retrieve", "item_id": "x"}', "unsupported_event", "type"),
    ('{"type": "session.update", "session": {"type": "realtime", "voice_clone": true}}',
     "unsupported_field", "session.voice_clone"),
    (('{"type": "session.update", "session": {"type": "realtime", '
     '"audio": {"output": {"voice": "alloy"}}}}'), "unsupported_field", "session.audio.output.voice"),
    ('{"type": "conversation.item.create", "item": {"type": "message"}}', "invalid_value", None),
    ('{"type": "input_audio_buffer.append"}', "invalid_value", "audio"),
    ('{"type": "session.update", "session": {"type": "realtime", "tool_choice": "sometimes"}}',
     "invalid_value", "session.tool_choice"),
])
def test_bad_events_get_a_code_and_name_the_field(text: str, code: str, param: str | None) -> None:
    with pytest.raises(EventError) as info:
        parse_client_event(text)
    assert info.value.code == code
    if param is not None:
        assert info.value.param == param


def test_the_events_the_sdk_sends_parse() -> None:
    update = parse_client_event(json.dumps({
        "type": "session.update", "event_id": "e1", "session": {
            "type": "realtime", "instructions": "Be brief.", "output_modalities": ["audio"],
            "audio": {"input": {"format": {"type": "audio/pcm", "rate": 24000},
                                "turn_detection": {"type": "server_vad",
                                                   "silence_duration_ms": 500}},
                      "output": {"format": {"type": "audio/pcm", "rate": 24000}}},
            "tools": [{"type": "function", "name": "order_status", "parameters": {}}],
            "tool_choice": {"type": "function", "name": "order_status"}}}))
    assert isinstance(update, SessionUpdate) and update.event_id == "e1"
    assert update.session.tool_choice is not None
    item = parse_client_event(json.dumps({"type": "conversation.item.create", "item": {
        "type": "function_call_output", "call_id": "c1", "output": "{}"}}))
    assert isinstance(item, ItemCreate) and item.item.type == "function_call_output"


def test_errors_have_openais_shape() -> None:
    ev = error_event("nope", code="invalid_value", param="item", event_id="e9")
    assert ev["type"] == "error" and ev["event_id"].startswith("event_")
    assert ev["error"] == {"type": "invalid_request_error", "code": "invalid_value",
                           "message": "nope", "param": "item", "event_id": "e9"}
