"""Listening: bind first (a taken port is a clear error before models load), then uvicorn."""

from __future__ import annotations

import errno
import socket

from fastapi import FastAPI

from oculi.errors import OculiError
from oculi.server.security import check_bind
from oculi.server.settings import ServerSettings
from oculi.server.tls import TlsFiles


def bind_socket(settings: ServerSettings) -> socket.socket:
    check_bind(settings)
    host = settings.host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, settings.port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise OculiError(
                f"port {settings.port} on {settings.host} is already in use",
                hint=f"choose another with --port, or stop what listens there "
                f"(`ss -ltnp 'sport = :{settings.port}'`)",
                code="port_in_use",
            ) from None
        raise OculiError(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror}",
                         hint="check --host", code="bind_failed") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def serve_app(app: FastAPI, sock: socket.socket, *, graceful_seconds: float = 30.0,
              log_level: str = "info", tls: TlsFiles | None = None) -> None:
    """Run until SIGINT/SIGTERM; in-flight answers get `graceful_seconds` to finish.
    With `tls`, the same socket speaks HTTPS (and so WSS for /v1/realtime)."""
    import uvicorn

    config = uvicorn.Config(
        app,
        log_level=log_level,
        timeout_graceful_shutdown=graceful_seconds,
        access_log=log_level == "debug",
        ssl_certfile=str(tls.cert) if tls else None,
        ssl_keyfile=str(tls.key) if tls else None,
    )
    uvicorn.Server(config).run(sockets=[sock])
