"""What every route needs, built once by the app factory and kept on `app.state`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request

from oculi.server.aux import AuxRunner
from oculi.server.backends.protocols import Embedder, ImageDescriber, SpeechSynthesizer, Transcriber
from oculi.server.errors import ApiError
from oculi.server.metrics import Metrics
from oculi.server.scheduler import ChatScheduler
from oculi.server.settings import ServerSettings

if TYPE_CHECKING:
    from oculi.agent.router import IntentRouter
    from oculi.assistant.host import AssistantHost
    from oculi.realtime.runtime import RealtimeRuntime


@dataclass
class Backends:
    """The models behind the endpoints; any may be None and its endpoint says so clearly."""

    chat: ChatScheduler | None = None
    chat_model: str | None = None
    embedder: Embedder | None = None
    transcriber: Transcriber | None = None
    speech: SpeechSynthesizer | None = None
    images: ImageDescriber | None = None
    # the realtime WebSocket API (/v1/realtime) and the HUD page (/hud) need this
    realtime: RealtimeRuntime | None = None
    # the process's assistant host: tools and the reminder scheduler (timers ring while serving)
    host: AssistantHost | None = None
    # answers an app's plain question in words without offering its tools (serving_chat)
    router: IntentRouter | None = None
    routers: list[APIRouter] = field(default_factory=list)


@dataclass
class ServerState:
    backends: Backends
    settings: ServerSettings
    metrics: Metrics
    aux: AuxRunner
    started: float


def get_state(request: Request) -> ServerState:
    return request.app.state.oculi  # type: ignore[no-any-return]


def not_configured(what: str, model: str) -> ApiError:
    return ApiError(
        404,
        f"the model '{model}' does not exist here: this server has no {what} model configured",
        param="model",
        code="model_not_found",
    )


def wrong_model(model: str, served: str) -> ApiError:
    return ApiError(
        404,
        f"the model '{model}' does not exist here; this endpoint serves '{served}' "
        "(see GET /v1/models)",
        param="model",
        code="model_not_found",
    )
