"""Who may call, and how much they may send: API keys and request size limits.

Both are pure ASGI middlewares so they also guard streamed bodies (multipart uploads) and
act before FastAPI parses anything.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from oculi.errors import ConfigError
from oculi.server.errors import ApiError
from oculi.server.settings import ServerSettings

OPEN_PATHS = ("/health", "/hud")
OPEN_PREFIXES = ("/hud/",)  # the HUD's static files; its socket needs the key


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(settings: ServerSettings) -> None:
    """Refuse to listen beyond this machine without API keys."""
    if not is_loopback(settings.host) and not settings.api_keys:
        raise ConfigError(
            f"refusing to bind {settings.host} without an API key: anyone on the network "
            "could use this device's assistant",
            hint="pass --api-key KEY (or bind 127.0.0.1)",
        )


async def _send_error(send: Send, err: ApiError) -> None:
    body = json.dumps(err.body()).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in err.headers.items()]
    if err.status not in (429, 503):
        headers.append((b"x-should-retry", b"false"))
    await send({"type": "http.response.start", "status": err.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class ApiKeyMiddleware:
    """Bearer keys for HTTP and WebSocket alike.

    Browsers cannot set headers on a WebSocket, so a WebSocket may also carry the key as
    `?api_key=KEY`; a refused WebSocket is closed before it is accepted (the client sees
    HTTP 403). The HUD page itself holds no data and is open, like /health.
    """

    def __init__(self, app: ASGIApp, keys: list[str]) -> None:
        self.app = app
        self.keys = [k.encode() for k in keys]

    def _valid(self, token: bytes) -> bool:
        return any(hmac.compare_digest(token.strip(), k) for k in self.keys)  # constant time

    def _allowed(self, scope: Scope) -> bool:
        auth = dict(scope["headers"]).get(b"authorization", b"")
        scheme, _, token = auth.partition(b" ")
        if scheme.lower() == b"bearer" and self._valid(token):
            return True
        if scope["type"] == "websocket":
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            return any(self._valid(k.encode()) for k in query.get("api_key", []))
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] not in ("http", "websocket") or not self.keys
                or scope["path"] in OPEN_PATHS or scope["path"].startswith(OPEN_PREFIXES)):
            await self.app(scope, receive, send)
            return
        if self._allowed(scope):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1008,
                        "reason": "a valid API key is required"})
            return
        await _send_error(send, ApiError(
            401, "a valid API key is required (Authorization: Bearer KEY)",
            code="invalid_api_key"))


class BodyLimitMiddleware:
    """413 when a body is larger than allowed: by Content-Length, or while it streams in."""

    def __init__(self, app: ASGIApp, settings: ServerSettings) -> None:
        self.app = app
        self.settings = settings

    def _limit(self, path: str) -> int:
        if path.startswith("/v1/audio/transcriptions"):
            return self.settings.max_upload_bytes
        return self.settings.max_request_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope["path"])
        too_big = ApiError(413, f"the request body is larger than {limit} bytes",
                           code="request_too_large")
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await _send_error(send, too_big)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise too_big
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except ApiError as exc:
            if exc is not too_big or started:
                raise
            await _send_error(send, exc)
