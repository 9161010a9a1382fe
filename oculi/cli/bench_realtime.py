"""`oculi bench realtime`: voice-to-voice over the realtime socket, plain / real / look / tool."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from oculi.cli.console import console, err_console

SPEECH_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "speech"


def bench_realtime(
    model: Annotated[str | None, typer.Option(help="catalog id of the chat model (default: configured)")] = None,
    threads: Annotated[int, typer.Option(help="CPU threads for the LLM and Whisper")] = 2,
    speech_dir: Annotated[Path, typer.Option(help="real recordings with transcripts.json")] = SPEECH_DIR,
    out: Annotated[Path, typer.Option(help="where to write the JSON result")] = Path("bench-results/realtime.json"),
) -> None:
    """Voice-to-voice latency through a live `oculi serve` over /v1/realtime (push-to-talk,
    speech paced in real time, measured from each clip's true end to the first answer audio),
    for plain questions, real human speech, look questions (a rendered sign as the frame) and
    tool questions, p50 and p95 — and the same clips through the plain voice pipeline
    (no tools, no camera) in the same run; plain and real speech also over the OpenAI
    Realtime API (end of the clip → first response.output_audio.delta)."""
    from oculi.cli.checks import require_model
    from oculi.config import load_settings
    from oculi.realtime import bench

    model_id = model or load_settings().llm.model
    require_model(model_id)
    real = speech_dir if speech_dir.is_dir() else None
    if real is None:
        err_console.print(f"[yellow]{speech_dir} is absent: no real-speech group[/]")
    with err_console.status("starting…") as status:
        result = bench.run(model_id=model_id, threads=threads, speech_dir=real,
                           progress=lambda m: status.update(m))
    bench.write(result, out)
    table = Table(title=f"voice-to-voice over /v1/realtime, {model_id}, {threads} threads "
                  "(seconds from the end of the clip to the first answer audio)",
                  title_justify="left")
    for col in ("group", "n", "answered", "p50", "p95", "plain pipeline p50", "p95",
                "OpenAI API p50", "p95"):
        table.add_column(col, justify="right")
    for group, s in result.summary().items():
        if not s["n"]:
            continue
        table.add_row(group, str(s["n"]), str(s["answered"]),
                      *[f"{v:.3f}" if v is not None else "—" for v in
                        (s["p50"], s["p95"], s["reference_p50"], s["reference_p95"],
                         s["openai_p50"], s["openai_p95"])])
    console.print(table)
    la = result.load_average
    console.print(f"[dim]load average at the end: {la[0]:.2f} {la[1]:.2f} {la[2]:.2f}; "
                  f"per-turn detail in {out}[/]" if la else f"[dim]detail in {out}[/]")
