"""`oculi bench voice`: voice-to-voice latency p50/p95 with its stage breakdown, and Whisper's WER."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from oculi.cli.console import console, err_console

SPEECH_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "speech"


def bench_voice(
    model: Annotated[str | None, typer.Option(help="catalog id of the chat model (default: configured)")] = None,
    threads: Annotated[int, typer.Option(help="CPU threads for the LLM and Whisper")] = 2,
    speech_dir: Annotated[Path, typer.Option(help="real recordings with transcripts.json")] = SPEECH_DIR,
    silence_ms: Annotated[int | None, typer.Option(help="end-of-turn silence (default 400 ms)")] = None,
    out: Annotated[Path, typer.Option(help="where to write the JSON result")] = Path("bench-results/voice.json"),
) -> None:
    """Voice-to-voice latency (the clip's last sample of speech → first answer audio sample),
    real and synthetic speech reported apart, played at speaking pace; per-stage p50/p95; a
    streaming reference chain measured in the same run; and the word error rate of the
    streaming transcripts on the real recordings."""
    from oculi.cli.checks import require_folder, require_model
    from oculi.config import load_settings
    from oculi.llm.loader import load_engine
    from oculi.voice import bench
    from oculi.voice.models import VoiceModels

    settings = load_settings()
    settings.llm.threads = threads
    model_id = model or settings.llm.model
    require_model(model_id)
    require_folder(speech_dir, "--speech-dir", "--speech-dir")
    vs = settings.voice.model_copy(update={"stt_threads": threads})
    if silence_ms is not None:
        vs.end_of_turn_silence_ms = silence_ms
    real_dir = speech_dir if speech_dir.is_dir() else None
    if real_dir is None:
        err_console.print(f"[yellow]{speech_dir} is absent: synthesised questions only, no WER[/]")
    with err_console.status(f"loading speech models and {model_id}…"):
        models = VoiceModels.load(vs)
        models.warm_up()
        engine = load_engine(settings, model_id)
    with err_console.status("benchmarking…") as status:
        result = bench.run(models, engine, model_id=model_id, threads=threads, settings=vs,
                           speech_dir=real_dir, progress=lambda m: status.update(f"benchmarking: {m}"))

    s = result.summary()
    names = {
        "vad_end_lag_s": "VAD's end of speech (after the true end)",
        "end_of_turn_s": "end of turn confirmed (silence rule)",
        "transcript_s": "final transcript ready (Whisper)",
        "first_token_s": "first answer token (LLM)",
        "first_audio_s": "first audio sample out (TTS of first phrase)",
        "voice_to_voice_s": "voice-to-voice (oculi pipeline)",
        "reference_voice_to_voice_s": "reference: streaming chain (whisper → llama stream → TTS of 1st sentence)",
    }
    for group, label in (("real", "real human speech"), ("synthetic", "synthetic speech (hibari)")):
        g = s[group]
        if not g["clips"]:
            continue
        t = Table(title=f"oculi bench voice — {model_id}, {threads} threads: {label}, {g['clips']} clips "
                        f"(seconds after the clip's last sample of speech)")
        t.add_column("stage")
        t.add_column("p50", justify="right")
        t.add_column("p95", justify="right")
        for key, name in names.items():
            t.add_row(name, f"{g[key]['p50']:.3f}", f"{g[key]['p95']:.3f}")
        console.print(t)
        ratio = g["voice_to_voice_over_reference_p50"]
        console.print(f"{label}: voice-to-voice p50 [bold]{g['voice_to_voice_s']['p50']:.3f} s[/], p95 "
                      f"[bold]{g['voice_to_voice_s']['p95']:.3f} s[/]; oculi / streaming reference p50 "
                      f"[bold]{ratio:.2f}[/]; answers held during the silence: {g['held_answers_used']}/{g['clips']}"
                      if ratio else label)
    if result.wer_real_streaming is not None:
        console.print(f"word error rate on the real recordings: streaming (the pipeline's turns) "
                      f"[bold]{100 * result.wer_real_streaming:.1f}%[/], whole file "
                      f"{100 * (result.wer_real or 0):.1f}%, faster-whisper transcribe "
                      f"{100 * (result.wer_real_reference or 0):.1f}%")
        for d in result.wer_detail:
            console.print(f"  [dim]{d['clip']}: streaming {100 * d['wer_streaming']:.1f}% "
                          f"({d['turns']} turns) — {d['streaming']}[/]", highlight=False)
    la = result.load_average
    if la:
        console.print(f"[dim]machine load average during the run: {la[0]:.1f} {la[1]:.1f} {la[2]:.1f}[/]")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result.to_json(), indent=2))
    console.print(f"[dim]written {out}[/]")
