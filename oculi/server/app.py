"""The app factory: injected backends in, a FastAPI app out (no module-level state)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from oculi import __version__
from oculi.server import (
    routes_audio,
    routes_chat,
    routes_embeddings,
    routes_ops,
    routes_realtime,
)
from oculi.server.aux import AuxRunner
from oculi.server.errors import install_handlers
from oculi.server.metrics import Metrics, MetricsMiddleware
from oculi.server.security import ApiKeyMiddleware, BodyLimitMiddleware
from oculi.server.settings import ServerSettings
from oculi.server.state import Backends, ServerState


def create_app(backends: Backends, settings: ServerSettings | None = None) -> FastAPI:
    settings = settings or ServerSettings()
    metrics = Metrics()
    aux = AuxRunner(metrics, queue_size=settings.queue_size, retry_after=settings.retry_after_seconds)
    if backends.chat is not None:
        chat = backends.chat
        metrics.queue_depth.set_function(lambda: chat.waiting)
        metrics.active.set_function(lambda: chat.active)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        # Uvicorn has already let in-flight responses finish (or timed them out); whatever is
        # still generating is cancelled here, and the worker threads are joined.
        if backends.chat is not None:
            backends.chat.close()
        if backends.realtime is not None:
            backends.realtime.close()
        if backends.host is not None:
            backends.host.close()
        aux.close()

    app = FastAPI(
        title="oculi",
        version=__version__,
        description="OpenAI-compatible API of the on-device assistant",
        lifespan=lifespan,
    )
    app.state.oculi = ServerState(backends, settings, metrics, aux, time.time())
    install_handlers(app)
    for r in (routes_ops.router, routes_chat.router, routes_embeddings.router, routes_audio.router):
        app.include_router(r)
    if settings.realtime.enabled:
        routes_realtime.install(app)  # /v1/realtime and /hud
    for r in backends.routers:
        app.include_router(r)

    _document_served_models(app, backends)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(BodyLimitMiddleware, settings=settings)
    app.add_middleware(
        ApiKeyMiddleware, keys=[k.get_secret_value() for k in settings.api_keys]
    )
    return app


def _document_served_models(app: FastAPI, backends: Backends) -> None:
    """Name the models this server answers for in its OpenAPI schema, as an enum per endpoint.

    The schema then tells clients (and fuzzers such as schemathesis) the one value that
    reaches the model instead of a 404.
    """
    served = {
        "ChatCompletionRequest": backends.chat_model if backends.chat else None,
        "EmbeddingRequest": getattr(backends.embedder, "model_id", None),
        "SpeechRequest": getattr(backends.speech, "model_id", None),
        "Body_transcriptions_v1_audio_transcriptions_post":
            getattr(backends.transcriber, "model_id", None),
    }

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version,
                                 description=app.description, routes=app.routes)
            components = schema.get("components", {}).get("schemas", {})
            for name, model_id in served.items():
                prop = components.get(name, {}).get("properties", {}).get("model")
                if prop is not None and model_id:
                    prop["enum"] = [model_id]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
