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
    """Voice-to-voice latency (end of your speech → first answer audio sample) over synthesised and
    real spoken questions, played at speaking pace; per-stage p50/p95; a batch reference chain
    measured in the same run; and the speech-to-text word error rate on the real recordings."""
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
    t = Table(title=f"oculi bench voice — {model_id}, {threads} threads, {len(result.turns)} questions "
                    f"(seconds after the end of speech)")
    t.add_column("stage")
    t.add_column("p50", justify="right")
    t.add_column("p95", justify="right")
    names = {
        "end_of_turn_s": "end of turn confirmed (silence rule)",
        "transcript_s": "final transcript ready (Whisper)",
        "first_token_s": "first answer token (LLM)",
        "first_audio_s": "first audio sample out (TTS of first phrase)",
        "voice_to_voice_s": "voice-to-voice (oculi pipeline)",
        "baseline_voice_to_voice_s": "reference: batch chain, library defaults",
    }
    for key, label in names.items():
        t.add_row(label, f"{s[key]['p50']:.3f}", f"{s[key]['p95']:.3f}")
    console.print(t)
    console.print(f"[dim]answers started during the end-of-turn silence (held until it was "
                  f"confirmed): {s['held_answers_used']}/{len(result.turns)}[/]")
    ratio = s["voice_to_voice_over_baseline_p50"]
    console.print(f"voice-to-voice p50 [bold]{s['voice_to_voice_s']['p50']:.3f} s[/], "
                  f"p95 [bold]{s['voice_to_voice_s']['p95']:.3f} s[/]; oculi / reference p50 "
                  f"[bold]{ratio:.2f}[/]" if ratio else "")
    if result.wer_real is not None:
        console.print(f"word error rate on the real recordings: [bold]{100 * result.wer_real:.1f}%[/] "
                      f"(faster-whisper defaults: {100 * (result.wer_real_baseline or 0):.1f}%)")
        for d in result.wer_detail:
            console.print(f"  [dim]{d['file']} ({d['channel']}): {100 * d['wer']:.1f}% — {d['oculi']}[/]",
                          highlight=False)
    la = result.load_average
    if la:
        console.print(f"[dim]machine load average during the run: {la[0]:.1f} {la[1]:.1f} {la[2]:.1f}[/]")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result.to_json(), indent=2))
    console.print(f"[dim]written {out}[/]")
