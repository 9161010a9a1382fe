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
SHARED = Path(__file__).resolve().parents[2].parent / "shared"
DEFAULT_IMAGES = SHARED / "data" / "vizwiz_captions" / "images"
# the held-out scene set of a development checkout; its photos come from ../shared, scikit-image
# and other registry wheels (downloaded once with pip, checked by sha256)
SCENES = Path(__file__).resolve().parents[2] / "tests" / "look" / "scenes" / "scene_questions_7.json"
TARGET_FIRST_TOKEN_P95_S = 3.0


def bench_look(
    images: Annotated[Path, typer.Option(help="folder of photos to ask about")] = DEFAULT_IMAGES,
    model: Annotated[str | None, typer.Option(help="catalog id of the chat model")] = None,
    threads: Annotated[int | None, typer.Option(help="CPU threads (default: configured)")] = None,
    question: Annotated[str, typer.Option(help="the question asked about every photo")] = "What does it say?",
    limit: Annotated[int | None, typer.Option(help="only the first N photos")] = None,
    max_tokens: Annotated[int, typer.Option(help="answer length per question")] = 48,
    out: Annotated[Path, typer.Option(help="where to write the JSON result")] = Path("bench-results/look.json"),
    scenes: Annotated[
        bool, typer.Option(help="ask the scene set's questions instead (p50/p95 per group: text, objects, nothing)")
    ] = False,
    scene_file: Annotated[Path, typer.Option(help="the scene question set (with --scenes)")] = SCENES,
) -> None:
    """Per photo: decode, perception (each step), LLM first token and total; against a plain
    chat turn with the same question on the same engine (the reference, same run)."""
    from oculi.errors import OculiError
    from oculi.llm.loader import load_engine
    from oculi.look import LookAgent, bench
    from oculi.models.store import default_store
    from oculi.vision.perception import build_perceiver
    from oculi.vision.vlm import load_vlm

    if not scenes and not images.is_dir():  # the scene set brings its own photos
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
        if not scenes:  # the scene bench warms up on its own first photo
            bench.run(agent, images, model=model_id, threads=settings.llm.threads, question=question, limit=1,
                      max_tokens=4)  # warm-up: first ONNX runs allocate
    if scenes:
        _bench_scenes(agent, scene_file, SHARED, model_id, settings.llm.threads, limit, max_tokens, out)
        return
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


def _bench_scenes(agent, scene_file: Path, shared: Path, model_id: str, threads: int, limit: int | None,
                  max_tokens: int, out: Path) -> None:
    """Time to first word per group of the scene set, detector time included; scores too."""
    from oculi.errors import OculiError
    from oculi.look.scene_eval import load_photo_hashes, load_scenes, percentile, run_scenes

    if not scene_file.is_file():
        raise OculiError(f"no scene set at {scene_file}", hint="pass --scene-file FILE", code="file_not_found")
    questions = load_scenes(scene_file)[:limit]
    hashes = load_photo_hashes(scene_file)
    agent.settings.max_tokens = 4
    run_scenes(agent, questions[:1], shared, photo_sha256=hashes)  # warm-up: first ONNX runs allocate
    agent.settings.max_tokens = max_tokens
    with err_console.status(f"benchmarking {len(questions)} scene questions…") as status:
        done: list[object] = []
        report = run_scenes(
            agent, questions, shared, photo_sha256=hashes,
            progress=lambda r: (done.append(r), status.update(f"benchmarking scene questions: {len(done)}/{len(questions)}")),
        )
    t = Table(title=f"oculi bench look --scenes — {model_id}, {threads} threads, detector "
              f"{agent.perceiver.detector_name or 'none'}, {len(questions)} questions")
    for col in ("group", "n", "1st word p50", "1st word p95", "objects p50", "perception p50"):
        t.add_column(col, justify="right")
    lat = report.latency_by_group()
    for g, v in lat.items():
        rs = [r for r in report.results if r.q.group == g]
        t.add_row(g, str(v["n"]), f"{v['p50']:.2f}", f"{v['p95']:.2f}",
                  f"{percentile(sorted(r.objects_s for r in rs), 50):.3f}",
                  f"{percentile(sorted(r.perception_s for r in rs), 50):.2f}")
    allv = sorted(r.first_token_s for r in report.results)
    t.add_row("all", str(len(allv)), f"{percentile(allv, 50):.2f}", f"{percentile(allv, 95):.2f}", "", "", style="bold")
    console.print(t)
    cats = ", ".join(f"{c} {ok}/{n}" for c, (ok, n) in report.by_category().items())
    console.print(f"scene score {report.score:.2f} ({cats})")
    p50, p95 = percentile(allv, 50), percentile(allv, 95)
    met = p50 <= TARGET_FIRST_TOKEN_S and p95 <= TARGET_FIRST_TOKEN_P95_S
    console.print(f"time to first word p50 {p50:.2f} s, p95 {p95:.2f} s (targets ≤ {TARGET_FIRST_TOKEN_S} / "
                  f"≤ {TARGET_FIRST_TOKEN_P95_S} s: {'[green]met[/]' if met else '[red]not met[/]'})")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "model": model_id, "threads": threads, "detector": agent.perceiver.detector_name,
        "score": report.score, "by_category": report.by_category(), "latency_by_group": lat,
        "first_token_p50_s": p50, "first_token_p95_s": p95, "target_met": met,
        "results": [{"id": r.q.id, "group": r.q.group, "category": r.q.category, "question": r.q.question,
                     "answer": r.answer, "passed": r.passed, "first_token_s": r.first_token_s,
                     "perception_s": r.perception_s, "objects_s": r.objects_s, "total_s": r.total_s,
                     "findings": r.findings}
                    for r in report.results],
    }, indent=2))
    err_console.print(f"[dim]written {out}[/]")
