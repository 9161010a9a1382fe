"""GET /v1/models, /health and /metrics."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from oculi.server.state import get_state

router = APIRouter()


def _served(request: Request) -> list[tuple[str, str]]:
    b = get_state(request).backends
    out = []
    if b.chat_model and b.chat is not None:
        out.append((b.chat_model, "chat"))
    for kind, backend in (("embeddings", b.embedder), ("transcription", b.transcriber),
                          ("speech", b.speech)):
        if backend is not None:
            out.append((backend.model_id, kind))
    return out


@router.get("/v1/models", tags=["openai"])
async def list_models(request: Request) -> dict[str, Any]:
    created = int(get_state(request).started)
    return {
        "object": "list",
        "data": [
            {"id": mid, "object": "model", "created": created, "owned_by": "oculi"}
            for mid, _ in _served(request)
        ],
    }


@router.get("/v1/models/{model_id}", tags=["openai"])
async def get_model(model_id: str, request: Request) -> dict[str, Any]:
    from oculi.server.errors import ApiError

    for mid, _ in _served(request):
        if mid == model_id:
            created = int(get_state(request).started)
            return {"id": mid, "object": "model", "created": created, "owned_by": "oculi"}
    raise ApiError(404, f"the model '{model_id}' does not exist here", param="model",
                   code="model_not_found")


@router.get("/health", tags=["operations"])
async def health(request: Request) -> dict[str, Any]:
    state = get_state(request)
    chat = state.backends.chat
    rt = state.backends.realtime
    return {
        "status": "ok",
        "uptime_seconds": round(time.time() - state.started, 1),
        "models": {kind: mid for mid, kind in _served(request)},
        "chat": None if chat is None else
        {"slots": chat.slots, "active": chat.active, "waiting": chat.waiting},
        "realtime": None if rt is None else
        {"sessions": rt.sessions, "max_sessions": rt.settings.max_sessions,
         "models_loaded": rt.loaded},
    }


@router.get("/metrics", tags=["operations"])
async def metrics(request: Request) -> Response:
    from prometheus_client import CONTENT_TYPE_LATEST

    return Response(get_state(request).metrics.render(), media_type=CONTENT_TYPE_LATEST)
