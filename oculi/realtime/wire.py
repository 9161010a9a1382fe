"""The one parser and encoder of realtime messages: JSON text events and binary media.

Binary framing (both directions), one WebSocket binary message each:

    byte 0      kind (0x01 audio PCM, 0x02 JPEG frame)
    bytes 1-2   header length H, unsigned big-endian
    bytes 3..   H bytes of UTF-8 JSON object (the header), then the payload

Every parse failure raises `ProtocolError` with a stable code: a bad message is never
returned as None (which would read like "no message") and never raises anything else.
"""

from __future__ import annotations

import json
import struct
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from oculi.realtime.errors import ProtocolError
from oculi.realtime.protocol import (
    CLIENT_EVENT_TYPES,
    KIND_AUDIO,
    KIND_FRAME,
    AudioHeader,
    AudioIn,
    AudioOut,
    ClientEvent,
    FrameHeader,
    FrameIn,
    ServerEvent,
)

MAX_HEADER_BYTES = 4096
MAX_TEXT_BYTES = 64 * 1024
_PREFIX = struct.Struct(">BH")

_client_events: TypeAdapter[Any] = TypeAdapter(ClientEvent)
_server_events: TypeAdapter[Any] = TypeAdapter(ServerEvent)


def _json_object(text: str | bytes, what: str, code: str = "invalid_json") -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise ProtocolError(f"{what} is not valid JSON ({type(exc).__name__})",
                            hint="send one JSON object per message", code=code) from None
    if not isinstance(value, dict):
        raise ProtocolError(f"{what} must be a JSON object, not {type(value).__name__}",
                            hint='send e.g. {"type": "ping"}', code=code)
    return value


def _validation_message(exc: ValidationError) -> str:
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first.get("loc", ()) if p != "type" or len(first["loc"]) > 1)
    msg = first.get("msg", "invalid value")
    if first.get("type") == "extra_forbidden":
        return f"unknown field '{loc}'"
    return f"{loc}: {msg}" if loc else msg


def parse_client_text(text: str, *, max_bytes: int = MAX_TEXT_BYTES) -> BaseModel:
    """A client's JSON text message → its event model, or ProtocolError."""
    if len(text) > max_bytes or len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise ProtocolError(f"text message larger than {max_bytes} bytes",
                            hint="events are small JSON objects; media go in binary messages",
                            code="message_too_large")
    obj = _json_object(text, "the text message")
    kind = obj.get("type")
    if not isinstance(kind, str):
        raise ProtocolError("the event has no 'type' string", hint='add e.g. "type": "ping"',
                            code="invalid_event")
    if kind not in CLIENT_EVENT_TYPES:
        raise ProtocolError(f"unknown event type '{kind[:60]}'",
                            hint=f"client events are: {', '.join(CLIENT_EVENT_TYPES)}",
                            code="unknown_event")
    try:
        return _client_events.validate_python(obj)  # type: ignore[no-any-return]
    except ValidationError as exc:
        raise ProtocolError(f"invalid '{kind}' event: {_validation_message(exc)}",
                            hint="see docs/realtime-protocol.md for the event's fields",
                            code="invalid_event") from None


def encode_binary(kind: int, header: BaseModel | dict[str, Any], payload: bytes) -> bytes:
    if isinstance(header, BaseModel):
        header = header.model_dump(exclude_none=True)
    head = json.dumps(header, separators=(",", ":")).encode()
    if len(head) > MAX_HEADER_BYTES:
        raise ProtocolError(f"binary header larger than {MAX_HEADER_BYTES} bytes",
                            code="invalid_binary")
    return _PREFIX.pack(kind, len(head)) + head + payload


def split_binary(data: bytes) -> tuple[int, dict[str, Any], bytes]:
    """(kind, header object, payload) of a binary message, or ProtocolError."""
    if len(data) < _PREFIX.size:
        raise ProtocolError(f"binary message of {len(data)} bytes is shorter than its prefix",
                            hint="binary messages start with kind (1 byte) and header length "
                            "(2 bytes, big-endian)", code="invalid_binary")
    kind, size = _PREFIX.unpack_from(data)
    if kind not in (KIND_AUDIO, KIND_FRAME):
        raise ProtocolError(f"unknown binary kind 0x{kind:02x}",
                            hint="0x01 = PCM audio, 0x02 = JPEG frame", code="invalid_binary")
    if size > MAX_HEADER_BYTES or _PREFIX.size + size > len(data):
        raise ProtocolError(f"binary header length {size} does not fit the message",
                            hint=f"headers are at most {MAX_HEADER_BYTES} bytes",
                            code="invalid_binary")
    header = _json_object(data[_PREFIX.size:_PREFIX.size + size], "the binary header",
                          code="invalid_binary")
    return kind, header, bytes(data[_PREFIX.size + size:])


def parse_client_binary(data: bytes) -> AudioIn | FrameIn:
    kind, header, payload = split_binary(data)
    try:
        if kind == KIND_AUDIO:
            return AudioIn(header=AudioHeader.model_validate(header), pcm=payload)
        return FrameIn(header=FrameHeader.model_validate(header), jpeg=payload)
    except ValidationError as exc:
        what = "audio" if kind == KIND_AUDIO else "frame"
        raise ProtocolError(f"invalid {what} header: {_validation_message(exc)}",
                            hint="see docs/realtime-protocol.md, binary messages",
                            code="invalid_binary") from None


def encode_event(event: BaseModel) -> str:
    return event.model_dump_json(exclude_none=False)


def parse_server_text(text: str) -> BaseModel:
    """A server's JSON event → its model (clients ignore unknown fields; unknown types raise)."""
    obj = _json_object(text, "the server message")
    try:
        return _server_events.validate_python(obj)  # type: ignore[no-any-return]
    except ValidationError as exc:
        raise ProtocolError(f"invalid server event: {_validation_message(exc)}",
                            code="invalid_event") from None


def parse_server_binary(data: bytes) -> AudioOut:
    kind, header, payload = split_binary(data)
    if kind != KIND_AUDIO:
        raise ProtocolError(f"the server sent binary kind 0x{kind:02x}; only audio is defined",
                            code="invalid_binary")
    try:
        return AudioOut(header=AudioHeader.model_validate(header), pcm=payload)
    except ValidationError as exc:
        raise ProtocolError(f"invalid audio header: {_validation_message(exc)}",
                            code="invalid_binary") from None
