"""The realtime parser and binary framing: typed events, clear protocol errors, round trips.

Property-based: any text or byte message is either parsed into an event or refused with a
`ProtocolError` that has a code — never another exception, never None.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from oculi.realtime.errors import ProtocolError
from oculi.realtime.protocol import (
    KIND_AUDIO,
    KIND_FRAME,
    PROTOCOL,
    AudioHeader,
    AudioIn,
    AudioOut,
    ErrorEvent,
    FrameHeader,
    FrameIn,
    Overlay,
    OverlayItem,
    Ping,
    SessionStart,
    TalkStart,
)
from oculi.realtime.wire import (
    encode_binary,
    encode_event,
    parse_client_binary,
    parse_client_text,
    parse_server_binary,
    parse_server_text,
)

CODES = {"invalid_json", "invalid_event", "unknown_event", "message_too_large", "invalid_binary"}


def _parse_or_error(fn, data):  # type: ignore[no-untyped-def]
    try:
        result = fn(data)
    except ProtocolError as exc:
        assert exc.code in CODES and exc.message and not exc.fatal
        return exc
    assert isinstance(result, BaseModel)
    return result


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_an_event_or_a_protocol_error(text: str) -> None:
    _parse_or_error(parse_client_text, text)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=4),
    max_leaves=12,
)
event_like = st.fixed_dictionaries(
    {"type": st.sampled_from(["session.start", "talk.start", "talk.stop", "ping", "session.end",
                              "frame", "nope", ""])},
    optional={"protocol": st.sampled_from([PROTOCOL, "oculi.realtime/2", ""]) | json_values,
              "audio": json_values | st.fixed_dictionaries({"rate": st.integers(-10, 200_000)}),
              "mode": st.sampled_from(["open", "push_to_talk", "wake"]) | json_values,
              "id": json_values, "extra": json_values},
)


@settings(max_examples=400, deadline=None)
@given(event_like)
def test_event_shaped_json_is_an_event_or_a_protocol_error(obj: dict) -> None:
    _parse_or_error(parse_client_text, json.dumps(obj))


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_are_media_or_a_protocol_error(data: bytes) -> None:
    _parse_or_error(parse_client_binary, data)


headers = st.fixed_dictionaries(
    {}, optional={"id": st.integers(-5, 2**54), "rate": st.integers(-5, 100_000),
                  "channels": st.integers(-1, 4), "format": st.sampled_from(["jpeg", "pcm_s16le",
                                                                              "mp3"]),
                  "t": st.floats(allow_nan=False) | st.text(max_size=5), "seq": st.integers(-2, 9),
                  "x": st.integers()})


@settings(max_examples=400, deadline=None)
@given(st.sampled_from([KIND_AUDIO, KIND_FRAME, 0, 3, 255]), headers, st.binary(max_size=64))
def test_framed_binary_is_media_or_a_protocol_error(kind: int, header: dict, payload: bytes) -> None:
    _parse_or_error(parse_client_binary, encode_binary(kind, header, payload))


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**53), st.floats(0, 1e12) | st.none(), st.binary(max_size=2048))
def test_frame_round_trip(fid: int, t: float | None, jpeg: bytes) -> None:
    msg = parse_client_binary(encode_binary(KIND_FRAME, FrameHeader(id=fid, t=t), jpeg))
    assert isinstance(msg, FrameIn)
    assert msg.header == FrameHeader(id=fid, t=t) and msg.jpeg == jpeg


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 96_000), st.integers(1, 2), st.integers(0, 10**6),
       st.binary(max_size=2048))
def test_audio_round_trip(rate: int, channels: int, seq: int, pcm: bytes) -> None:
    header = AudioHeader(rate=rate, channels=channels, format="pcm_s16le", seq=seq, t=1.5)
    msg = parse_client_binary(encode_binary(KIND_AUDIO, header, pcm))
    assert isinstance(msg, AudioIn) and msg.header == header and msg.pcm == pcm
    out = parse_server_binary(encode_binary(KIND_AUDIO, header, pcm))
    assert isinstance(out, AudioOut) and out.header == header and out.pcm == pcm


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["text", "code", "face", "object"]),
                          st.tuples(*[st.integers(0, 4000)] * 4), st.text(max_size=30)),
                max_size=5))
def test_server_events_round_trip(items: list) -> None:
    ov = Overlay(frame_id=3, width=640, height=480,
                 items=[OverlayItem(kind=k, box=b, text=t) for k, b, t in items])
    assert parse_server_text(encode_event(ov)) == ov
    err = ErrorEvent(code="frame_too_large", message="too big", hint="smaller", ref="frame:3")
    assert parse_server_text(encode_event(err)) == err


def test_client_events_round_trip() -> None:
    for ev in (SessionStart(protocol=PROTOCOL, mode="push_to_talk"), TalkStart(), Ping(id=7)):
        assert parse_client_text(ev.model_dump_json()) == ev


@pytest.mark.parametrize(("text", "code"), [
    ("not json", "invalid_json"),
    ("[1, 2]", "invalid_json"),
    ('{"no": "type"}', "invalid_event"),
    ('{"type": "frame"}', "unknown_event"),
    ('{"type": "session.start"}', "invalid_event"),  # the protocol version is required
    ('{"type": "ping", "bogus": 1}', "invalid_event"),
    ('{"type": "session.start", "protocol": "oculi.realtime/1", "audio": {"rate": 5}}',
     "invalid_event"),
    ("[" * 100_000, "message_too_large"),
])
def test_bad_text_names_what_is_wrong(text: str, code: str) -> None:
    with pytest.raises(ProtocolError) as err:
        parse_client_text(text)
    assert err.value.code == code and err.value.hint


def test_deep_nesting_is_refused_not_a_crash() -> None:
    with pytest.raises(ProtocolError) as err:
        parse_client_text("[" * 30_000)
    assert err.value.code == "invalid_json"


@pytest.mark.parametrize("data", [b"", b"\x01", b"\x09\x00\x00", b"\x02\xff\xff{}",
                                  b"\x02\x00\x02[]", b"\x02\x00\x02{}jpeg", b"\x01\x00\x03{x}"])
def test_bad_binary_is_invalid_binary(data: bytes) -> None:
    with pytest.raises(ProtocolError) as err:
        parse_client_binary(data)
    assert err.value.code == "invalid_binary"
