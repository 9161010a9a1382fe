"""WebSocket /v1/realtime (the realtime session API) and the HUD page at /hud.

Two protocols share the path, told apart at connect: OpenAI Realtime API clients always put
`model` in the query (docs/openai-realtime.md); oculi's own `oculi.realtime/1` clients do not
and send `session.start` (docs/realtime-protocol.md). This module only hands the socket to
the matching session. The HUD is static HTML/JS shipped inside the package (no build
step, no CDN): the browser's camera or a chosen picture, overlays, push-to-talk, transcript.
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, FastAPI, WebSocket
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from oculi.realtime.protocol import ErrorEvent
from oculi.realtime.wire import encode_event
from oculi.server.state import ServerState

router = APIRouter()
HUD = resources.files("oculi.server") / "hud"


@router.websocket("/v1/realtime")
async def realtime(ws: WebSocket) -> None:
    state: ServerState = ws.app.state.oculi
    runtime = state.backends.realtime
    if runtime is None:
        await ws.accept()
        if "model" in ws.query_params:  # an OpenAI Realtime client: its error shape
            from oculi.realtime.openai_protocol import error_event

            await ws.send_json(error_event("this server was started without the realtime API "
                                           "(start oculi serve with --realtime)",
                                           code="realtime_unavailable", kind="server_error"))
            await ws.close(4004)
            return
        await ws.send_text(encode_event(ErrorEvent(
            code="realtime_unavailable", fatal=True,
            message="this server was started without the realtime API",
            hint="start oculi serve with --realtime")))
        await ws.close(4004)
        return
    from oculi.realtime.openai_session import OpenAIRealtimeSession, openai_requested

    if openai_requested(dict(ws.query_params)):
        await OpenAIRealtimeSession(ws, runtime, ws.query_params["model"]).run()
        return
    from oculi.realtime.session import RealtimeSession

    await RealtimeSession(ws, runtime).run()


@router.get("/hud", include_in_schema=False)
async def hud() -> HTMLResponse:
    return HTMLResponse((HUD / "index.html").read_text(encoding="utf-8"),
                        headers={"Cache-Control": "no-cache"})


@router.get("/hud/", include_in_schema=False)
async def hud_slash() -> RedirectResponse:
    return RedirectResponse("/hud")


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/hud/static", StaticFiles(directory=str(HUD)), name="hud-static")
