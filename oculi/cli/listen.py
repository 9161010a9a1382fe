"""`oculi listen`: talk to oculi — from the microphone, a PCM socket, or an audio file."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from oculi.cli.console import console, err_console
from oculi.voice.frames import Event, TurnDone, TurnLatency


def _printer(verbose_partials: bool):
    def on_event(e: Event) -> None:
        if e.type == "wake_word":
            err_console.print(f"[dim](wake word {e.name}, {e.score:.2f})[/]")
        elif e.type == "partial_transcript" and verbose_partials:
            err_console.print(f"[dim]… {e.text}[/]", highlight=False)
        elif e.type == "final_transcript":
            console.print(f"[bold cyan]you>[/] {e.text}", highlight=False)
        elif e.type == "turn_done":
            assert isinstance(e, TurnDone)
            suffix = " [yellow](interrupted)[/]" if e.latency.interrupted else ""
            console.print(f"[bold green]oculi>[/] {e.answer}{suffix}", highlight=False)
            _print_latency(e.latency)
        elif e.type == "error":
            err_console.print(f"[yellow]{e.code}[/]: {e.message}", highlight=False)

    return on_event


def _print_latency(lat: TurnLatency) -> None:
    t = Table(title="latency (seconds after the end of your speech)", title_justify="left")
    for name in ("end of turn", "final transcript", "first token", "first audio out"):
        t.add_column(name, justify="right")
    d = lat.as_dict()
    cells = [d["end_of_turn_s"], d["transcript_s"], d["first_token_s"], d["first_audio_s"]]
    t.add_row(*[f"{c:.3f}" if isinstance(c, float) else "—" for c in cells])
    console.print(t)


def listen(
    audio: Annotated[
        Path | None, typer.Option(help="answer the question in this wav/flac/mp3 file, then exit")
    ] = None,
    image: Annotated[
        Path | None, typer.Option(help="a photo the assistant sees (\"what does this say?\")")
    ] = None,
    video: Annotated[Path | None, typer.Option(help="a video the assistant sees (see --at)")] = None,
    at: Annotated[float | None, typer.Option(help="seconds into --video")] = None,
    camera: Annotated[int | None, typer.Option(help="webcam index the assistant sees through")] = None,
    out: Annotated[Path | None, typer.Option(help="write the spoken answer to this wav file")] = None,
    speaker: Annotated[bool, typer.Option(help="play the answer on the speaker")] = False,
    model: Annotated[str | None, typer.Option(help="catalog id of the chat model")] = None,
    silence_ms: Annotated[
        int | None, typer.Option(help="silence that ends your turn (default 400 ms)")
    ] = None,
    wake_word: Annotated[
        str | None,
        typer.Option(help="live mode: wait for this openWakeWord phrase, e.g. hey_jarvis "
                     "(models are CC BY-NC-SA 4.0, non-commercial)"),
    ] = None,
    pcm_port: Annotated[
        int | None, typer.Option(help="live mode: take raw 16-bit PCM from one TCP client on this port")
    ] = None,
    pcm_rate: Annotated[int, typer.Option(help="sample rate of the PCM stream")] = 16000,
    fast: Annotated[
        bool, typer.Option(help="feed a file as fast as possible instead of at speaking pace")
    ] = False,
    partials: Annotated[bool, typer.Option(help="show partial transcripts while you speak")] = True,
) -> None:
    """Speak to oculi and hear it answer — the whole assistant: tools, memory, and with
    --image/--video/--camera its eyes. With --audio, answer one recorded question and print the
    transcript, the answer and the latency record; otherwise listen live until Ctrl-C (timers
    and reminders are spoken when they ring)."""
    from oculi.assistant.host import AssistantHost
    from oculi.assistant.voice import VoiceTurns
    from oculi.cli.assistant_io import (
        eyes,
        print_agent_event,
        print_assistant_event,
        terminal_confirm,
    )
    from oculi.cli.checks import require_chat_model
    from oculi.config import load_settings
    from oculi.llm.loader import load_engine
    from oculi.voice.audio_in import read_audio
    from oculi.voice.audio_out import AudioSink, MemorySink, SpeakerSink, WavSink
    from oculi.voice.errors import NoSpeech
    from oculi.voice.models import VoiceModels
    from oculi.voice.pipeline import VoicePipeline
    from oculi.voice.sources import ArraySource, AudioSource, MicrophoneSource, PcmStreamSource
    from oculi.voice.wakeword import ListenGate, WakeWordDetector

    settings = load_settings()
    vs = settings.voice.model_copy()
    if silence_ms is not None:
        vs.end_of_turn_silence_ms = silence_ms
    if len([x for x in (image, video, camera) if x is not None]) > 1:
        raise typer.BadParameter("give one of --image, --video or --camera")
    if at is not None and video is None:
        raise typer.BadParameter("--at only applies to --video")
    question = read_audio(audio) if audio is not None else None  # bad files fail before models load
    mic = MicrophoneSource() if audio is None and pcm_port is None else None  # so does a missing mic
    require_chat_model(settings, model)  # and a wrong model id, before speech models load

    view, stop_eyes = eyes(settings, image, video, at, camera)
    with err_console.status("loading speech models and the LLM…"):
        models = VoiceModels.load(vs)
        engine = load_engine(settings, model)
    host = AssistantHost(settings, engine=lambda: engine, run_scheduler=audio is None)
    assistant = host.session(engine, view=view, confirm=terminal_confirm,
                             max_tokens=vs.max_answer_tokens)
    agent = VoiceTurns(assistant, on_event=print_agent_event)
    with err_console.status("warming up (the assistant's instructions are saved for next time)…"):
        models.warm_up()
        assistant.warm_up()

    sink: AudioSink
    if out is not None:
        sink = WavSink(out)
    elif speaker:
        sink = SpeakerSink(models.tts.sample_rate)
    else:
        sink = MemorySink()

    gate = ListenGate("open", vs)
    wake = None
    if audio is None and wake_word:
        vs.wake_word = wake_word
        wake = WakeWordDetector(wake_word)
        gate = ListenGate("wake_word", vs)

    turns: list[TurnDone] = []
    printer = _printer(partials)

    def on_event(e: Event) -> None:
        if isinstance(e, TurnDone):
            turns.append(e)
        printer(e)

    pipeline = VoicePipeline(
        settings=vs, vad=models.new_vad(), stt=models.stt, tts=models.tts, agent=agent, sink=sink,
        gate=gate, wake=wake, on_event=on_event, realtime_output=speaker or audio is None,
        partial_transcripts=partials,
    )

    async def run_live() -> None:
        source: AudioSource
        if pcm_port is not None:
            connected: asyncio.Future[asyncio.StreamReader] = asyncio.get_running_loop().create_future()

            async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                if not connected.done():
                    connected.set_result(reader)

            server = await asyncio.start_server(accept, "127.0.0.1", pcm_port)
            err_console.print(f"[dim]waiting for PCM ({pcm_rate} Hz, s16le mono) on port {pcm_port}…[/]")
            async with server:
                source = PcmStreamSource(await connected, sample_rate=pcm_rate)
                await pipeline.run(source)
        else:
            assert mic is not None
            source = mic
            hint = f"say '{wake_word.replace('_', ' ')}'" if wake_word else "speak"
            err_console.print(f"[dim]listening — {hint}; Ctrl-C to stop[/]")
            await pipeline.run(source)

    def on_assistant(ev: object) -> None:
        print_assistant_event(ev)  # type: ignore[arg-type]
        from oculi.assistant.events import NotificationFired

        if isinstance(ev, NotificationFired):
            pipeline.announce(ev.notification.text)

    assistant.subscribe(on_assistant)
    try:
        if question is not None:
            src = ArraySource(question, realtime=not fast,
                              trailing_silence_s=vs.end_of_turn_silence_ms / 1000 + 0.5)
            asyncio.run(pipeline.run(src))
        else:
            asyncio.run(run_live())
    finally:
        pipeline.close()
        assistant.close()
        host.close()
        stop_eyes()
    if question is not None and not turns:
        raise NoSpeech(
            f"no speech found in {audio.name if audio else 'the input'}",
            hint="check the recording has someone speaking (not silence or noise)",
        )
    if out is not None and turns:
        console.print(f"[dim]answer audio written to {out}[/]")
