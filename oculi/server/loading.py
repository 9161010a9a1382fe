"""Build the server's backends from the model store, reporting progress as each one loads."""

from __future__ import annotations

from collections.abc import Callable

from oculi.config import Settings
from oculi.errors import OculiError
from oculi.models.store import ModelStore, default_store
from oculi.server.scheduler import ChatScheduler
from oculi.server.settings import ServerSettings
from oculi.server.state import Backends

Progress = Callable[[str], None]


def _optional(what: str, build: Callable[[], object], progress: Progress, warn: Progress) -> object:
    """An optional backend that is missing leaves its endpoint answering 'not configured'."""
    progress(f"loading {what}…")
    try:
        return build()
    except OculiError as exc:
        warn(f"{what} unavailable: {exc.message}" + (f" ({exc.hint})" if exc.hint else ""))
    except ImportError as exc:
        warn(f"{what} unavailable: {exc}")
    return None


def load_backends(
    settings: Settings,
    server: ServerSettings,
    *,
    model_id: str | None = None,
    embeddings: bool = True,
    audio: bool = True,
    image_text: bool = True,
    progress: Progress = lambda _: None,
    warn: Progress = lambda _: None,
    store: ModelStore | None = None,
) -> Backends:
    from oculi.llm.loader import load_batched_engine, load_engine

    store = store or default_store()
    mid = model_id or settings.llm.model
    slots = server.chat_slots
    chat: ChatScheduler
    if server.chat_engine == "batched" or settings.llm.endpoint:
        progress(f"loading chat model {mid} ({slots} slots, one copy of the weights)…")
        chat = ChatScheduler(load_batched_engine(settings, slots, mid, store=store), slots=slots,
                             queue_size=server.queue_size, retry_after=server.retry_after_seconds)
    else:
        engines = []
        for i in range(slots):
            progress(f"loading chat model {mid} (slot {i + 1}/{slots})…")
            engines.append(load_engine(settings, mid, store=store))
        chat = ChatScheduler(engines, queue_size=server.queue_size,
                             retry_after=server.retry_after_seconds)
    backends = Backends(chat=chat, chat_model=mid)
    if embeddings:
        from oculi.server.backends.minilm import MiniLMEmbedder

        backends.embedder = _optional(  # type: ignore[assignment]
            "embeddings (minilm-l6-v2)",
            lambda: MiniLMEmbedder(store.path("minilm-l6-v2")), progress, warn)
    realtime = server.realtime.enabled
    stt = tts = None
    if audio:
        from oculi.server.backends.hibari_tts import HibariSynthesizer
        from oculi.server.backends.whisper import WhisperTranscriber

        if realtime:
            # The realtime sessions need the voice subsystem's Whisper and hibari; the HTTP
            # endpoints share those instances rather than loading a second copy of each.
            from oculi.voice.stt import WhisperSTT
            from oculi.voice.tts import HibariTTS

            voice = settings.voice
            stt = _optional(f"speech-to-text ({voice.stt_model})",
                            lambda: WhisperSTT(store.path(voice.stt_model), voice), progress, warn)
            tts = _optional("text-to-speech (hibari-tts)",
                            lambda: (store.path("hibari-tts"), HibariTTS(voice))[1], progress, warn)
            if stt is not None:
                backends.transcriber = WhisperTranscriber.sharing(stt, model_id=voice.stt_model)
            if tts is not None:
                backends.speech = HibariSynthesizer.sharing(tts)
        else:
            backends.transcriber = _optional(  # type: ignore[assignment]
                "speech-to-text (whisper-base)",
                lambda: WhisperTranscriber(store.path("whisper-base")), progress, warn)
            backends.speech = _optional(  # type: ignore[assignment]
                "text-to-speech (hibari-tts)",
                lambda: (store.path("hibari-tts"), HibariSynthesizer())[1], progress, warn)
    if image_text:
        from oculi.server.backends.ocr_describer import OcrImageDescriber

        backends.images = _optional(  # type: ignore[assignment]
            "image reader (rapidocr-ppocrv4)",
            lambda: (store.path("rapidocr-ppocrv4"), OcrImageDescriber())[1], progress, warn)
    if realtime:
        from oculi.realtime.runtime import RealtimeRuntime

        backends.realtime = RealtimeRuntime(
            server.realtime, voice=settings.voice, vision=settings.vision, chat=backends.chat,
            chat_model=mid, store=store, stt=stt, tts=tts,  # type: ignore[arg-type]
        )
        runtime = backends.realtime
        if server.realtime.preload:
            _optional("realtime models (VAD, perception)", lambda: runtime.load(progress),
                      progress, warn)
        else:
            progress("realtime models (VAD, perception) load on the first session")
    from oculi.assistant.host import AssistantHost

    # Built now, not at the first session: its scheduler rings timers and reminders for as
    # long as the server runs, whether or not a session is open.
    progress("starting the assistant's tools and reminder scheduler…")
    rt = backends.realtime
    backends.host = AssistantHost(settings, engine=rt.tool_engine if rt is not None else None)
    if rt is not None:
        rt.host = backends.host
    if server.intent_router:
        # the assistant's own router when it has one: one sentence model for both
        router = backends.host.router
        if router is None:
            from oculi.agent.router import load_router

            progress("loading the intent router (minilm-l6-v2)…")
            router = load_router()
        if router is None:
            warn("intent router unavailable (minilm-l6-v2 not installed): the model alone "
                 "decides whether a request needs one of an app's tools")
        else:
            router.warm_up()
        backends.router = router
    return backends
