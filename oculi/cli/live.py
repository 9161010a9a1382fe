"""`oculi live`: the main job — camera and microphone into the one assistant, answers spoken."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from oculi.cli.console import console, err_console

GO_LIVE = (
    "To go live: `oculi live` on a machine with a camera and a microphone "
    '(pip install -e ".\\[audio]" and Debian\'s libportaudio2), or `oculi serve` and open '
    "http://127.0.0.1:8000/hud in a browser (its camera and microphone; glasses use the "
    "same /v1/realtime socket)."
)


def _microphone_error() -> str | None:
    try:
        import sounddevice as sd  # type: ignore[import-not-found]

        sd.query_devices(kind="input")
    except Exception as exc:  # noqa: BLE001 - any failure means: no microphone here
        return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return None


def _camera_error(index: int) -> str | None:
    import cv2

    cap = cv2.VideoCapture(index)
    try:
        ok = cap.isOpened() and cap.read()[0]
    finally:
        cap.release()
    return None if ok else f"camera {index} gives no picture"


def live(
    camera: Annotated[int, typer.Option(help="webcam index the assistant sees through")] = 0,
    demo: Annotated[
        bool, typer.Option(help="run the scripted session (generated sign and spoken "
                           "questions) even if a camera and microphone exist")] = False,
    out: Annotated[Path, typer.Option(help="folder for the demo's spoken answers (WAV)")] = Path("oculi-demo"),
    model: Annotated[str | None, typer.Option(help="catalog id of the chat model")] = None,
    wake_word: Annotated[
        str | None, typer.Option(help="wait for this openWakeWord phrase (CC BY-NC-SA 4.0 "
                                 "models, non-commercial)")] = None,
    memory: Annotated[
        bool, typer.Option(help="record what you see and say into memory (faces blurred; "
                           "say 'stop remembering' to pause)")] = True,
) -> None:
    """The assistant, live: it sees through the camera, listens on the microphone, speaks
    its answers, runs its tools, rings timers and remembers (memory on by default). With no
    camera or microphone it runs a short scripted session on generated inputs instead, then
    says how to go live."""
    from oculi.cli.checks import require_chat_model
    from oculi.config import load_settings
    from oculi.llm.loader import load_engine

    settings = load_settings()
    require_chat_model(settings, model)
    missing = [] if demo else [m for m in (_camera_error(camera), _microphone_error()) if m]
    if demo or missing:
        if missing:
            err_console.print(f"[dim]no camera or microphone here ({'; '.join(missing)}): "
                              "running the assistant on generated inputs[/]", highlight=False)
        from oculi.assistant.demo import Demo

        with err_console.status(f"loading {model or settings.llm.model}…"):
            engine = load_engine(settings, model)
        Demo(settings, engine, out, say=lambda s: console.print(s, highlight=False)).run()
        console.print(f"\n{GO_LIVE}", highlight=False)
        return
    _run_live(settings, camera, model, wake_word, memory)


def _run_live(settings, camera: int, model: str | None, wake_word: str | None, memory: bool) -> None:  # type: ignore[no-untyped-def]
    from oculi.assistant.host import AssistantHost
    from oculi.assistant.view import CurrentView
    from oculi.assistant.voice import VoiceTurns
    from oculi.cli.assistant_io import (
        CameraWatcher,
        print_agent_event,
        print_assistant_event,
        terminal_confirm,
    )
    from oculi.cli.listen import _printer
    from oculi.llm.loader import load_engine
    from oculi.models.store import default_store
    from oculi.vision.perception import build_perceiver
    from oculi.vision.sources import CameraSource
    from oculi.voice.audio_out import SpeakerSink
    from oculi.voice.models import VoiceModels
    from oculi.voice.pipeline import VoicePipeline
    from oculi.voice.sources import MicrophoneSource
    from oculi.voice.wakeword import ListenGate, WakeWordDetector

    vs = settings.voice.model_copy()
    with err_console.status("loading the speech, vision and language models…"):
        perceiver = build_perceiver(settings.vision, store=default_store())
        models = VoiceModels.load(vs)
        engine = load_engine(settings, model)
    view = CurrentView(has_detector=perceiver.has_objects, max_age_s=10.0)
    host = AssistantHost(settings, engine=lambda: engine)
    assistant = host.session(engine, view=view, live_memory=memory, confirm=terminal_confirm,
                             max_tokens=vs.max_answer_tokens)
    recorder = assistant.live_memory
    watcher = CameraWatcher(CameraSource(camera, warmup_frames=5), perceiver, view,
                            on_seen=recorder.saw if recorder is not None else None)
    watcher.start()
    gate, wake = ListenGate("open", vs), None
    if wake_word:
        vs.wake_word = wake_word
        wake, gate = WakeWordDetector(wake_word), ListenGate("wake_word", vs)
    pipeline = VoicePipeline(settings=vs, vad=models.new_vad(), stt=models.stt, tts=models.tts,
                             agent=VoiceTurns(assistant, on_event=print_agent_event),
                             sink=SpeakerSink(models.tts.sample_rate), gate=gate, wake=wake,
                             on_event=_printer(True), realtime_output=True)

    def on_assistant(ev: object) -> None:
        from oculi.assistant.events import NotificationFired

        print_assistant_event(ev)  # type: ignore[arg-type]
        if isinstance(ev, NotificationFired):
            pipeline.announce(ev.notification.text)

    assistant.subscribe(on_assistant)
    with err_console.status("warming up…"):
        models.warm_up()
        assistant.warm_up()
    state = "on (faces blurred; say 'stop remembering' to pause)" if recorder and recorder.recording else "off"
    console.print(f"[dim]live — camera {camera}, microphone, memory {state}. "
                  f"{'Say ' + repr(wake_word.replace('_', ' ')) + ', then speak' if wake_word else 'Speak'}; "
                  "Ctrl-C to stop. The HUD: `oculi serve`, then open /hud.[/]")
    try:
        asyncio.run(pipeline.run(MicrophoneSource()))
    except KeyboardInterrupt:
        pass
    finally:
        pipeline.close()
        watcher.stop()
        assistant.close()
        host.close()
