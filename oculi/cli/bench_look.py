"""`oculi bench look`: time to first token and per-stage time for look-and-ask on real photos."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from oculi.cli.ask import vision_settings
from oculi.cli.console import console, err_console
from oculi.config import load_settings

TARGET_FIRST_TOKEN_S = 1.5
# ../shared next to the repository (development checkouts); pass --images elsewhere
DEFAULT_IMAGES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "vizwiz_captions" / "images"


def bench_look(
    images: Annotated[Path, typer.Option(help="folder of photos to ask about")] = DEFAULT_IMAGES,
    model: Annotated[str | None, typer.Option(help="catalog id of the chat model")] = None,
    threads: Annotated[int | None, typer.Option(help="CPU threads (default: configured)")] = None,
    question: Annotated[str, typer.Option(help="the question asked about every photo")] = "What does it say?",
    limit: Annotated[int | None, typer.Option(help="only the first N photos")] = None,
    max_tokens: Annotated[int, typer.Option(help="answer length per question")] = 48,
    out: Annotated[Path, typer.Option(help="where to write the JSON result")] = Path("bench-results/look.json"),
) -> None:
    """Per photo: decode, perception (each step), LLM first token and total; against a plain
    chat turn with the same question on the same engine (the reference, same run)."""
    from oculi.errors import OculiError
    from oculi.llm.loader import load_engine
    from oculi.look import LookAgent, bench
    from oculi.models.store import default_store
    from oculi.vision.perception import build_perceiver
    from oculi.vision.vlm import load_vlm

    if not images.is_dir():
        raise OculiError(f"no photo folder at {images}", hint="pass --images FOLDER", code="file_not_found")
    settings = load_settings()
    if threads:
        settings.llm.threads = threads
    vs = vision_settings(settings).model_copy(update={"threads": settings.llm.threads})
    model_id = model or settings.llm.model
    with err_console.status(f"loading {model_id} and the perception models…"):
        engine = load_engine(settings, model_id)
        store = default_store()
        agent = LookAgent(engine, build_perceiver(vs, store=store), vlm=load_vlm(vs, store, settings.llm.threads))
        agent.warm_up()  # as a session does at start: the look rules are read once
        bench.run(agent, images, model=model_id, threads=settings.llm.threads, question=question, limit=1,
                  max_tokens=4)  # warm-up: first ONNX runs allocate
    with err_console.status("benchmarking…") as status:
        result = bench.run(agent, images, model=model_id, threads=settings.llm.threads, question=question,
                           limit=limit, max_tokens=max_tokens, progress=lambda m: status.update(f"benchmarking: {m}"))
    path = "perception + VLM" if agent.vlm is not None else "perception"
    t = Table(title=f"oculi bench look — {path} path, {model_id}, {result.threads} threads, {len(result.photos)} photos")
    t.add_column("photo")
    for col in ("decode", "quality", "ocr", "codes", "faces", "objects", "LLM 1st tok", "1st token", "total", "chat 1st tok (ref)"):
        t.add_column(col, justify="right")
    for p in result.photos:
        s = p.steps
        t.add_row(p.image, f"{p.decode_s:.2f}", *(f"{s[k]:.2f}" if k in s else "–" for k in ("quality", "ocr", "codes", "faces", "objects")),
                  f"{p.llm_first_token_s:.2f}", f"{p.first_token_s:.2f}", f"{p.total_s:.2f}", f"{p.chat_first_token_s:.2f}")
    t.add_row("median", f"{result.median('decode_s'):.2f}",
              *(f"{result.median_step(k):.2f}" for k in ("quality", "ocr", "codes", "faces", "objects")),
              f"{result.median('llm_first_token_s'):.2f}", f"{result.median('first_token_s'):.2f}",
              f"{result.median('total_s'):.2f}", f"{result.median('chat_first_token_s'):.2f}", style="bold")
    console.print(t)
    med = result.median("first_token_s")
    ok = med <= TARGET_FIRST_TOKEN_S
    console.print(
        f"median time to first token {med:.2f} s (target ≤ {TARGET_FIRST_TOKEN_S} s: "
        f"{'[green]met[/]' if ok else '[red]not met[/]'}); looking adds "
        f"{med - result.median('chat_first_token_s'):+.2f} s over a plain chat turn"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    data = result.to_json() | {"path": path, "target_first_token_s": TARGET_FIRST_TOKEN_S, "target_met": ok}
    out.write_text(json.dumps(data, indent=2))
    err_console.print(f"[dim]written {out}[/]")
