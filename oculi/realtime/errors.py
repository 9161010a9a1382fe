"""Realtime errors: every refused message becomes an `error` event with one of these codes."""

from __future__ import annotations

from oculi.errors import OculiError


class ProtocolError(OculiError):
    """A message that breaks the protocol (bad JSON, unknown event, bad binary framing).

    `fatal` errors end the session (unsupported protocol version); all others are answered
    with an error event and the session goes on.
    """

    code = "protocol_error"

    def __init__(self, message: str, *, hint: str | None = None, code: str | None = None,
                 fatal: bool = False) -> None:
        super().__init__(message, hint=hint, code=code)
        self.fatal = fatal


class RealtimeUnavailable(OculiError):
    """The realtime side cannot run here (a model is missing, the session limit is reached)."""

    code = "realtime_unavailable"
