"""`oculi serve`: the OpenAI-compatible API of the on-device assistant."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oculi.cli.console import console, err_console
from oculi.config import load_settings


def _progress(status: object, msg: str) -> None:
    status.update(msg)  # type: ignore[attr-defined]
    if not err_console.is_terminal:  # logs and pipes get one line per step instead of a spinner
        err_console.print(msg)


def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on (default 127.0.0.1); non-loopback needs --api-key")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port (default 8000; 0 picks a free one)")] = None,
    api_key: Annotated[
        list[str] | None, typer.Option("--api-key", help="accepted bearer key (repeatable)",
                                       envvar="OCULI_API_KEY")
    ] = None,
    model: Annotated[str | None, typer.Option(help="catalog id of the chat model")] = None,
    slots: Annotated[int | None, typer.Option(help="chat conversations decoded at once (default 4)")] = None,
    engine: Annotated[
        str | None,
        typer.Option(help="'batched' (default): every slot a sequence of one context, one copy "
                          "of the weights; 'slots': one engine (and weight copy) per slot"),
    ] = None,
    batch_invariant: Annotated[
        bool | None,
        typer.Option(help="each answer independent of the others decoded beside it (same words "
                          "at temperature 0 under any load; more memory, a little slower)"),
    ] = None,
    queue_size: Annotated[int | None, typer.Option(help="requests that may wait before a 503 (default 16)")] = None,
    intent_router: Annotated[
        bool | None,
        typer.Option(help="with an app's tools and tool_choice auto, answer small talk and known "
                          "questions in words without offering a call (default on)"),
    ] = None,
    embeddings: Annotated[bool, typer.Option(help="serve /v1/embeddings (MiniLM)")] = True,
    audio: Annotated[bool, typer.Option(help="serve /v1/audio/* (Whisper, hibari)")] = True,
    image_text: Annotated[
        bool, typer.Option(help="read text in image_url parts with OCR (no VLM offline)")
    ] = True,
    allow_private_image_urls: Annotated[
        bool | None, typer.Option(help="let image_url fetch loopback/private addresses (default no)")
    ] = None,
    realtime: Annotated[
        bool | None,
        typer.Option(help="serve the realtime WebSocket API (/v1/realtime) and the HUD (/hud); default on"),
    ] = None,
    realtime_preload: Annotated[
        bool | None,
        typer.Option(help="load the realtime perception models at start, not on the first session"),
    ] = None,
    graceful_seconds: Annotated[float, typer.Option(help="time in-flight answers get on stop")] = 30.0,
    log_level: Annotated[str, typer.Option(help="uvicorn log level")] = "info",
    max_tokens_limit: Annotated[
        int | None, typer.Option(help="largest max_tokens a request may ask for (default 4096)")
    ] = None,
    tls: Annotated[
        str | None,
        typer.Option(help="'self-signed': serve HTTPS with a certificate made in the data folder "
                          "(headsets on the LAN need HTTPS for WebXR, camera and microphone)"),
    ] = None,
    tls_cert: Annotated[
        Path | None, typer.Option(help="serve HTTPS with this PEM certificate")
    ] = None,
    tls_key: Annotated[Path | None, typer.Option(help="the PEM private key of --tls-cert")] = None,
) -> None:
    """Serve the assistant over HTTP (OpenAI-compatible). Ctrl-C stops it gracefully."""
    from oculi.paths import Paths
    from oculi.server import ServerSettings, create_app
    from oculi.server.loading import load_backends
    from oculi.server.run import bind_socket, serve_app
    from oculi.server.tls import resolve

    settings = load_settings()
    if batch_invariant is not None:
        settings.llm.batch_invariant = batch_invariant
    flags = {
        "host": host, "port": port, "chat_slots": slots, "chat_engine": engine,
        "queue_size": queue_size, "intent_router": intent_router,
        "allow_private_image_urls": allow_private_image_urls, "max_tokens_limit": max_tokens_limit,
    }
    # Flags override the [server] section of the config file, which overrides the defaults.
    merged = {**settings.server.model_dump(), **{k: v for k, v in flags.items() if v is not None}}
    if api_key:
        merged["api_keys"] = api_key
    merged["max_tokens_default"] = min(settings.llm.max_tokens, merged["max_tokens_limit"])
    merged["temperature_default"] = settings.llm.temperature
    for key, flag in (("enabled", realtime), ("preload", realtime_preload)):
        if flag is not None:
            merged["realtime"] = {**merged["realtime"], key: flag}
    server = ServerSettings.model_validate(merged)
    # before loading: a taken port or a missing certificate should not cost a model load
    tls_files = resolve(tls, tls_cert, tls_key, server.host, Paths.from_env().data)
    sock = bind_socket(server)
    with err_console.status("loading models…") as status:
        backends = load_backends(
            settings, server, model_id=model, embeddings=embeddings, audio=audio,
            image_text=image_text,
            progress=lambda msg: _progress(status, msg),
            warn=lambda msg: err_console.print(f"[yellow]![/] {msg}"),
        )
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    http, ws = ("https", "wss") if tls_files else ("http", "ws")
    console.print(f"oculi serving {backends.chat_model} on {http}://{shown}:{bound_port}/v1")
    if backends.realtime is not None:
        console.print(f"realtime API on {ws}://{shown}:{bound_port}/v1/realtime, "
                      f"HUD on {http}://{shown}:{bound_port}/hud")
    if tls_files:
        made = " (new: accept it once in the headset's browser)" if tls_files.generated else ""
        console.print(f"TLS certificate {tls_files.cert}{made}\n  SHA-256 {tls_files.fingerprint}")
    serve_app(create_app(backends, server), sock, graceful_seconds=graceful_seconds,
              log_level=log_level, tls=tls_files)


def bench_serve(
    model: Annotated[str, typer.Option(help="catalog id of the chat model")] = "smollm2-135m-instruct",
    clients: Annotated[str, typer.Option(help="comma-separated client counts")] = "1,4,8",
    max_tokens: Annotated[int, typer.Option(help="tokens each client asks for")] = 64,
    slots: Annotated[int | None, typer.Option(help="slots (default: as many as clients)")] = None,
    peer: Annotated[bool, typer.Option(help="also measure llama-cpp-python's own server")] = True,
    engines: Annotated[
        str, typer.Option(help="oculi chat engines to measure, comma-separated: batched, "
                               "batched-invariant, slots")
    ] = "batched",
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Memory, throughput and first-token latency of `oculi serve` at several concurrent
    streaming clients, beside llama-cpp-python's server on the same GGUF and threads."""
    import json

    from rich.table import Table

    from oculi.server.bench import bench_serve as run

    settings = load_settings()
    levels = tuple(int(c) for c in clients.split(",") if c.strip())
    with err_console.status("starting servers and measuring…"):
        result = run(model, levels=levels, max_tokens=max_tokens, slots=slots,
                     threads=settings.llm.threads, context_tokens=settings.llm.context_tokens,
                     peer=peer, engines=tuple(e.strip() for e in engines.split(",") if e.strip()))
    if as_json:
        console.print_json(json.dumps(result))
        return
    table = Table(title=f"serving {model}: {result['threads']} threads, "
                  f"{result['max_tokens']} tokens a client")
    for col in ("server", "slots", "clients", "RSS MB", "tok/s (all)", "first token p50",
                "first token p95", "latency p50", "latency p95"):
        table.add_column(col, justify="right")
    for r in result["levels"]:
        table.add_row(r["server"], str(r["slots"]), str(r["clients"]), f"{r['rss_mb']:.0f}",
                      f"{r['throughput_tok_s']:.1f}", f"{r['ttft_p50_s']:.2f}s",
                      f"{r['ttft_p95_s']:.2f}s", f"{r['latency_p50_s']:.2f}s",
                      f"{r['latency_p95_s']:.2f}s")
    console.print(table)
    loads = ", ".join(f"{a[0]:.1f}" for a in result["load_average"])
    console.print(f"[dim]1-minute load average after each level: {loads}[/]")
