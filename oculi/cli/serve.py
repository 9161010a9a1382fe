"""`oculi serve`: the OpenAI-compatible API of the on-device assistant."""

from __future__ import annotations

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
    slots: Annotated[int | None, typer.Option(help="chat conversations decoded together (one model copy; default 2)")] = None,
    queue_size: Annotated[int | None, typer.Option(help="requests that may wait before a 503 (default 16)")] = None,
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
) -> None:
    """Serve the assistant over HTTP (OpenAI-compatible). Ctrl-C stops it gracefully."""
    from oculi.server import ServerSettings, create_app
    from oculi.server.loading import load_backends
    from oculi.server.run import bind_socket, serve_app

    settings = load_settings()
    flags = {
        "host": host, "port": port, "chat_slots": slots, "queue_size": queue_size,
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
    sock = bind_socket(server)  # before loading: a taken port should not cost a model load
    with err_console.status("loading models…") as status:
        backends = load_backends(
            settings, server, model_id=model, embeddings=embeddings, audio=audio,
            image_text=image_text,
            progress=lambda msg: _progress(status, msg),
            warn=lambda msg: err_console.print(f"[yellow]![/] {msg}"),
        )
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    console.print(f"oculi serving {backends.chat_model} on http://{shown}:{bound_port}/v1")
    if backends.realtime is not None:
        console.print(f"realtime API on ws://{shown}:{bound_port}/v1/realtime, "
                      f"HUD on http://{shown}:{bound_port}/hud")
    serve_app(create_app(backends, server), sock, graceful_seconds=graceful_seconds,
              log_level=log_level)


def bench_serve(
    model: Annotated[str, typer.Option(help="catalog id of the chat model")] = "smollm2-135m-instruct",
    clients: Annotated[str, typer.Option(help="comma-separated client counts")] = "1,4,8",
    max_tokens: Annotated[int, typer.Option(help="tokens each client asks for")] = 64,
    slots: Annotated[int | None, typer.Option(help="engines (default: the most clients)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Throughput and latency of a live `oculi serve` at several concurrent streaming clients."""
    import json

    from rich.table import Table

    from oculi.server.bench import bench_serve as run

    levels = tuple(int(c) for c in clients.split(",") if c.strip())
    with err_console.status("starting a server and measuring…"):
        result = run(model, levels=levels, max_tokens=max_tokens, slots=slots,
                     threads=load_settings().llm.threads)
    if as_json:
        console.print_json(json.dumps(result))
        return
    table = Table(title=f"oculi serve — {model}, {result['slots']} slots, "
                  f"reference {result['reference_tok_s']:.1f} tok/s (one in-process stream)")
    for col in ("clients", "tok/s (all)", "× reference", "first token p50", "first token max",
                "latency p50", "latency max"):
        table.add_column(col, justify="right")
    for r in result["levels"]:
        table.add_row(str(r["clients"]), f"{r['throughput_tok_s']:.1f}", f"{r['vs_reference']:.2f}",
                      f"{r['ttft_p50_s']:.2f}s", f"{r['ttft_max_s']:.2f}s",
                      f"{r['latency_p50_s']:.2f}s", f"{r['latency_max_s']:.2f}s")
    console.print(table)
