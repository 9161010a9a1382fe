"""`oculi bench …`: speed and memory benchmarks that print a table and write JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from oculi.cli.console import console, err_console
from oculi.config import load_settings

app = typer.Typer(help="Measure speed and memory against a reference run in the same session.",
                  no_args_is_help=True)


@app.command("llm")
def bench_llm(
    model: Annotated[str | None, typer.Option(help="catalog id (default: the configured model)")] = None,
    threads: Annotated[int | None, typer.Option(help="CPU threads (default: configured)")] = None,
    rounds: Annotated[int, typer.Option(help="interleaved rounds; medians are reported")] = 5,
    decode_tokens: Annotated[int, typer.Option(help="tokens generated per decode run")] = 128,
    history_tokens: Annotated[int, typer.Option(help="history size for the follow-up turn")] = 2000,
    out: Annotated[Path, typer.Option(help="where to write the JSON result")] = Path(
        "bench-results/llm.json"
    ),
) -> None:
    """LLM load, prefill, decode, time to first token (first and follow-up turn), peak RSS —
    for oculi and for llama-cpp-python's plain generate loop on the same GGUF and threads,
    with the machine's memory bandwidth and the decode roofline."""
    from oculi.bench import llm as bench
    from oculi.llm.loader import load_engine

    settings = load_settings()
    if threads:
        settings.llm.threads = threads
    model_id = model or settings.llm.model
    with err_console.status(f"loading {model_id}…"):
        engine = load_engine(settings, model_id)
    with err_console.status("benchmarking…") as status:
        result = bench.run(
            engine,
            model_id=model_id,
            threads=settings.llm.threads,
            rounds=rounds,
            decode_tokens=decode_tokens,
            history_tokens=history_tokens,
            progress=lambda msg: status.update(f"benchmarking: {msg}"),
        )
        model_path = engine.model_path
        del engine
        for side in ("raw", "oculi"):
            status.update(f"benchmarking: load time and peak memory ({side}, fresh process)")
            facts = bench.measure_process(side, model_path, settings.llm.threads)
            getattr(result, side).load_s = facts["load_s"]
            getattr(result, side).peak_rss_mb = facts["peak_rss_mb"]

    t = Table(title=f"oculi bench llm — {model_id}, {result.threads} threads")
    t.add_column("figure")
    t.add_column("raw llama-cpp-python", justify="right")
    t.add_column("oculi", justify="right")
    t.add_column("oculi / raw", justify="right")

    def row(name: str, raw: float | None, oc: float | None, fmt: str) -> None:
        ratio = f"{oc / raw:.2f}" if raw and oc else "—"
        t.add_row(name, fmt.format(raw) if raw is not None else "—",
                  fmt.format(oc) if oc is not None else "—", ratio)

    r, o = result.raw, result.oculi
    row("load (s)", r.load_s, o.load_s, "{:.2f}")
    row("prefill (tok/s)", r.prefill_tok_s, o.prefill_tok_s, "{:.1f}")
    row("decode (tok/s)", r.decode_tok_s, o.decode_tok_s, "{:.1f}")
    row("TTFT first turn (s)", r.ttft_first_s, o.ttft_first_s, "{:.3f}")
    row(f"TTFT follow-up, {history_tokens} tok history (s)", None, o.ttft_follow_up_s, "{:.3f}")
    row("  same, cold cache (s)", None, o.ttft_follow_up_cold_s, "{:.3f}")
    row("peak RSS (MB)", r.peak_rss_mb, o.peak_rss_mb, "{:.0f}")
    console.print(t)
    ratios = result.ratios
    console.print(
        f"memory bandwidth {result.memory_bandwidth_gb_s:.1f} GB/s; model {result.model_bytes / 1e9:.2f} GB "
        f"→ roofline {result.roofline_tok_s:.1f} tok/s"
    )
    console.print(
        f"decode oculi/raw [bold]{ratios['decode_oculi_over_raw']:.3f}[/]   "
        f"decode oculi/roofline [bold]{ratios['decode_oculi_over_roofline']:.2f}[/]   "
        f"follow-up TTFT / first TTFT [bold]{ratios.get('ttft_follow_up_over_first', 0):.2f}[/]"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result.to_json(), indent=2))
    console.print(f"[dim]written {out}[/]")
