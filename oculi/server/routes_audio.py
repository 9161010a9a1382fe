"""POST /v1/audio/transcriptions (multipart upload) and POST /v1/audio/speech (WAV or PCM)."""

from __future__ import annotations

import io
import wave
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import PlainTextResponse, Response

from oculi.server.errors import invalid, unsupported
from oculi.server.protocol import SpeechRequest
from oculi.server.state import get_state, not_configured, wrong_model

router = APIRouter()

_TRANSCRIBE_FIELDS = {"file", "model", "language", "prompt", "response_format", "temperature"}


@router.post("/v1/audio/transcriptions", tags=["openai"])
async def transcriptions(
    request: Request,
    file: Annotated[UploadFile, File(description="the audio file")],
    model: Annotated[str, Form()],
    language: Annotated[str | None, Form(max_length=8)] = None,
    prompt: Annotated[str | None, Form(max_length=2000)] = None,
    response_format: Annotated[Literal["json", "text"], Form()] = "json",
    temperature: Annotated[float | None, Form(ge=0.0, le=1.0)] = None,
) -> Response:
    state = get_state(request)
    form = await request.form()
    extra = sorted(set(form.keys()) - _TRANSCRIBE_FIELDS)
    if extra:
        raise unsupported(extra[0])
    if temperature not in (None, 0, 0.0):
        raise unsupported("temperature", "transcription decodes greedily")
    asr = state.backends.transcriber
    if asr is None:
        raise not_configured("speech-to-text", model)
    if model != asr.model_id:
        raise wrong_model(model, asr.model_id)
    audio = await file.read()
    if not audio:
        raise invalid("the uploaded file is empty", param="file")
    result = await state.aux.run(asr.transcribe, audio, language=language, prompt=prompt)
    if response_format == "text":
        return PlainTextResponse(result.text)
    body = {"text": result.text}
    if result.duration is not None:
        body["usage"] = {"type": "duration", "seconds": max(1, round(result.duration))}  # type: ignore[assignment]
    from fastapi.responses import JSONResponse

    return JSONResponse(body)


def _wav(pcm: bytes, rate: int) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    return buf.getvalue()


@router.post("/v1/audio/speech", tags=["openai"])
async def speech(body: SpeechRequest, request: Request) -> Response:
    state = get_state(request)
    tts = state.backends.speech
    if tts is None:
        raise not_configured("text-to-speech", body.model)
    if body.model != tts.model_id:
        raise wrong_model(body.model, tts.model_id)
    if body.voice not in tts.voices:
        raise invalid(f"voice '{body.voice}' is not available; choose one of {tts.voices}",
                      param="voice", code="unsupported_voice")
    fmt = body.response_format or "wav"
    if fmt not in ("wav", "pcm"):
        raise unsupported("response_format", f"'{fmt}' needs an encoder oculi lacks; use wav or pcm")
    if body.instructions:
        raise unsupported("instructions", "the voice model cannot follow style instructions")
    if body.stream_format == "sse":
        raise unsupported("stream_format", "only whole audio files are returned")
    if not body.input.strip():
        raise invalid("input must contain text", param="input")
    pcm = await state.aux.run(tts.synthesize, body.input, voice=body.voice, speed=body.speed or 1.0)
    if fmt == "pcm":
        return Response(pcm, media_type="audio/pcm",
                        headers={"X-Sample-Rate": str(tts.sample_rate)})
    return Response(_wav(pcm, tts.sample_rate), media_type="audio/wav")
