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


@app.command("soak")
def bench_soak(
    minutes: Annotated[float, typer.Option(help="how long the load runs", min=0.1)] = 30.0,
    model: Annotated[str, typer.Option(help="catalog id of the chat model the server runs")] = (
        "smollm2-135m-instruct"),
    chat_clients: Annotated[int, typer.Option(help="concurrent streaming chat clients", min=0)] = 2,
    embed_clients: Annotated[int, typer.Option(help="concurrent embeddings clients", min=0)] = 1,
    transcribe_clients: Annotated[int, typer.Option(help="concurrent transcription clients", min=0)] = 1,
    realtime_clients: Annotated[
        int, typer.Option(help="concurrent realtime voice sessions (push-to-talk turns)", min=0)] = 1,
    ingest: Annotated[bool, typer.Option(help="ingest memories in a separate process meanwhile")] = True,
    slots: Annotated[int, typer.Option(help="the server's chat slots", min=1)] = 2,
    queue_size: Annotated[int, typer.Option(help="the server's queue (beyond it: 503)", min=1)] = 4,
    max_tokens: Annotated[int, typer.Option(help="answer length per chat request", min=1)] = 32,
    sample_s: Annotated[float, typer.Option(help="seconds between resource samples", min=0.5)] = 5.0,
    pause_s: Annotated[float, typer.Option(help="think time between a client's requests", min=0)] = 0.5,
    warmup_fraction: Annotated[float, typer.Option(
        help="share of the run before memory growth is measured (caches, model arenas and "
             "lazily loaded realtime models settle first)", min=0.05, max=0.9)] = 0.25,
    out: Annotated[Path, typer.Option(help="where to write the JSON result")] = Path(
        "bench-results/soak.json"),
) -> None:
    """Soak a live `oculi serve` on loopback: concurrent chat, embeddings, transcription,
    realtime sessions and memory ingest for --minutes. Passes when nothing fails except
    documented 503s, RSS grows < 5 % after warm-up, and no thread, file handle or temp file
    is left behind. Exits 1 when it does not pass."""
    from oculi.bench import soak
    from oculi.errors import OculiError
    from oculi.models.store import default_store

    store = default_store()
    if not store.status(store.get(model)).installed:
        raise OculiError(f"model '{model}' is not installed", hint=f"run `oculi models pull {model}`",
                         code="model_not_installed")
    cfg = soak.SoakConfig(
        minutes=minutes, model=model, chat_clients=chat_clients, embed_clients=embed_clients,
        transcribe_clients=transcribe_clients, realtime_clients=realtime_clients, ingest=ingest,
        slots=slots, queue_size=queue_size, max_tokens=max_tokens, sample_s=sample_s, pause_s=pause_s,
        threads=load_settings().llm.threads, warmup_fraction=warmup_fraction,
    )
    with err_console.status("soak: starting…") as status:
        result = soak.run(cfg, progress=lambda m: status.update(f"soak: {m}"))
    data = result.to_json()
    t = Table(title=f"oculi bench soak — {model}, {result.duration_s / 60:.1f} min on loopback")
    for col in ("kind", "requests", "ok", "503", "errors", "per s", "p50 (s)", "p95 (s)"):
        t.add_column(col, justify="left" if col == "kind" else "right")
    for kind, k in data["kinds"].items():
        t.add_row(kind, str(k["requests"]), str(k["ok"]), str(k["busy_503"]), str(k["errors"]),
                  f"{k['per_s']:.2f}", f"{k['p50_s']:.2f}" if k["p50_s"] is not None else "—",
                  f"{k['p95_s']:.2f}" if k["p95_s"] is not None else "—")
    console.print(t)
    r = Table(title="resources (after warm-up → end of load → idle)")
    for col in ("process", "RSS MB (trend)", "growth", "RSS peak / idle", "threads", "open files", "temp files"):
        r.add_column(col, justify="left" if col == "process" else "right")
    for proc, v in data["resources"].items():
        r.add_row(proc, f"{v['rss_after_warmup_mb']:.0f} → {v['rss_end_mb']:.0f}",
                  f"{v['rss_growth_pct']:+.1f}%", f"{v['rss_peak_mb']:.0f} / {v['rss_idle_mb']:.0f}",
                  f"{v['threads_warm']} → {v['threads_max']} → {v['threads_final']}",
                  f"{v['fds_warm']} → {v['fds_max']} → {v['fds_final']}",
                  f"{v['tmp_files_warm']} → {v['tmp_files_final']}")
    console.print(r)
    if result.load_average:
        la = result.load_average
        console.print(f"[dim]machine load average at the end: {la[0]:.1f} {la[1]:.1f} {la[2]:.1f} "
                      f"on {data['cpu_count']} CPUs (latencies include waiting for the CPU)[/]")
    for problem in data["problems"]:
        console.print(f"[red]✗[/] {problem}")
    if data["passed"]:
        console.print("[green]✓ passed[/]: no errors beyond 503, growth under 5 %, nothing leaked")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=2))
    console.print(f"[dim]written {out}[/]")
    raise typer.Exit(0 if data["passed"] else 1)


@app.command("batched")
def bench_batched(
    model: Annotated[str | None, typer.Option(help="catalog id (default: the configured model)")] = None,
    slots: Annotated[int, typer.Option(help="sequences decoded together", min=1)] = 4,
    max_tokens: Annotated[int, typer.Option(help="tokens per answer")] = 48,
    invariant: Annotated[bool, typer.Option(help="the engine `oculi serve --batch-invariant` uses")] = False,
) -> None:
    """Temperature-0 answers of the batched engine, 10 prompts at once against the same
    prompts one at a time: how many are equal, and where the others part."""
    from oculi.bench.batched import agreement
    from oculi.models.store import default_store

    settings = load_settings()
    mid = model or settings.llm.model
    with err_console.status(f"answering 10 prompts alone and batched with {mid}…"):
        result = agreement(default_store().path(mid), slots=slots, threads=settings.llm.threads,
                           max_tokens=max_tokens, invariant=invariant)
    console.print_json(json.dumps(result))
