"""`oculi memory …`, `oculi remember`, `oculi recall`: the wearer's private episodic memory."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from oculi.cli.console import console

if TYPE_CHECKING:
    from oculi.memory.service import MemoryService

# The memory stack (SQLite extension, OpenCV, onnxruntime) is imported inside the commands so
# that `oculi --help` and unrelated commands do not pay for it.

app = typer.Typer(
    help="See, search, export and forget what your glasses remember.", no_args_is_help=True
)

Folder = Annotated[
    Path | None, typer.Option("--folder", help="memory folder (default: OCULI_HOME data/memory)")
]


def _service(folder: Path | None, **kw: object) -> MemoryService:
    from oculi.config import load_settings
    from oculi.memory.service import MemoryService

    update = {k: v for k, v in {"folder": folder, **kw}.items() if v is not None}
    settings = load_settings()
    return MemoryService(settings.memory.model_copy(update=update), voice=settings.voice)


def _when(text: str | None) -> float | None:
    """An ISO time ('2026-11-24T09:00') or a phrase ('yesterday 3pm' is not; 'at 3pm' is)."""
    if not text:
        return None
    try:
        dt = datetime.fromisoformat(text)
        return (dt if dt.tzinfo else dt.astimezone()).timestamp()
    except ValueError:
        raise typer.BadParameter(f"not an ISO time: {text!r} (e.g. 2026-11-24T09:30)") from None


def _window(when: str) -> tuple[float, float]:
    from oculi.memory.timefilter import parse as parse_time

    parsed = parse_time(when, datetime.now().astimezone())
    if parsed.window is None:
        raise typer.BadParameter(
            f"no time in {when!r}: try 'yesterday', 'this morning', 'an hour ago'"
        )
    return parsed.window.start, parsed.window.end


def _print_moments(moments: list, as_json: bool) -> None:
    from oculi.memory.recall import local_time

    if as_json:
        for m in moments:
            print(json.dumps({**m.to_json(), "time": local_time(m.ts)}, ensure_ascii=False))
        return
    table = Table()
    for col in ("id", "time", "kind", "people", "what", "thumbnail"):
        table.add_column(col, overflow="fold")
    for m in moments:
        what = m.transcript if m.kind == "speech" else (m.caption or m.ocr_text or "—")
        table.add_row(
            str(m.id),
            local_time(m.ts),
            m.kind,
            str(m.people or ""),
            (what or "")[:120],
            m.thumb or "",
        )
    console.print(table)


@app.command("list")
def list_cmd(
    when: Annotated[
        str | None, typer.Option(help="a time phrase: 'today', 'this morning', 'an hour ago'")
    ] = None,
    limit: Annotated[int, typer.Option(help="at most this many, newest first")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
    folder: Folder = None,
) -> None:
    """Show stored moments, newest first."""
    start, end = _window(when) if when else (None, None)
    _print_moments(_service(folder).store().list(start, end, limit=limit), as_json)


@app.command()
def search(
    query: Annotated[
        str, typer.Argument(help="words, meaning and time, e.g. 'laptop screen this morning'")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
    folder: Folder = None,
) -> None:
    """Find moments by words, meaning and time (no LLM)."""
    found = _service(folder).recaller().retrieve(query)
    _print_moments([h.moment for h in found.hits], as_json)


@app.command()
def forget(
    ids: Annotated[list[int] | None, typer.Argument(help="moment ids to delete")] = None,
    since: Annotated[str | None, typer.Option("--from", help="delete from this ISO time")] = None,
    until: Annotated[str | None, typer.Option("--to", help="delete up to this ISO time")] = None,
    when: Annotated[
        str | None, typer.Option(help="delete a time phrase: 'the last 10 minutes', 'today'")
    ] = None,
    everything: Annotated[bool, typer.Option("--all", help="delete every memory")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
    folder: Folder = None,
) -> None:
    """Really delete moments: rows, search entries, vectors and thumbnails."""
    from oculi.memory import controls

    store = _service(folder).store()
    if everything:
        if not yes:
            typer.confirm(f"delete all {store.count()} memories?", abort=True)
        n = controls.forget_all(store)
    elif ids:
        n = controls.forget_ids(store, ids)
    elif when or since or until:
        start, end = _window(when) if when else (_when(since) or -1e18, _when(until) or 1e18)
        n = controls.forget_range(store, start, end)
    else:
        raise typer.BadParameter("name moment ids, --when, --from/--to, or --all")
    console.print(f"forgot {n} moment(s)")


@app.command()
def export(
    out: Annotated[Path, typer.Argument(help="folder to write memories.jsonl and images/ into")],
    folder: Folder = None,
) -> None:
    """Export every moment as JSONL with its (face-blurred) thumbnail."""
    from oculi.memory.export import export as export_memories

    n = export_memories(_service(folder).store(), out)
    console.print(f"exported {n} moment(s) to {out / 'memories.jsonl'}")


@app.command()
def pause(folder: Folder = None) -> None:
    """Stop storing anything (running ingests stop before their next moment)."""
    from oculi.memory import controls

    controls.pause(_service(folder).store())
    console.print("memory paused: nothing will be stored until `oculi memory resume`")


@app.command()
def resume(folder: Folder = None) -> None:
    """Store memories again."""
    from oculi.memory import controls

    controls.resume(_service(folder).store())
    console.print("memory resumed")


@app.command()
def retention(
    days: Annotated[
        float | None,
        typer.Argument(help="keep memories this many days (0 = forever); omit to show"),
    ] = None,
    folder: Folder = None,
) -> None:
    """Show or set how long memories are kept; older ones are deleted automatically."""
    from oculi.memory import controls

    svc = _service(folder)
    store = svc.store()
    if days is not None:
        controls.set_retention(store, days)
        expired = controls.expire(store, None)
        console.print(
            f"retention set to {days:g} day(s){'' if days else ' (forever)'}; {expired} expired"
        )
    else:
        current = controls.retention_days(store, svc.settings.retention_days)
        console.print(f"retention: {current:g} day(s)" if current else "retention: forever")


@app.command()
def recover(folder: Folder = None) -> None:
    """Move an unreadable memory database aside (kept) and start an empty one."""
    from oculi.memory import controls

    svc = _service(folder)
    aside = controls.recover(svc.folder)
    console.print(f"moved the old database to {aside}" if aside else "no database to recover")
    svc.store().sweep_orphans()
    console.print(f"memory ready at {svc.folder}")


@app.command()
def stats(folder: Folder = None) -> None:
    """Counts, sizes, pause and retention."""
    print(json.dumps(_service(folder).store().stats(), indent=2))


def remember(
    source: Annotated[
        Path, typer.Argument(help="a video file, a folder of photos, or an Aria .vrs recording")
    ],
    audio: Annotated[
        Path | None, typer.Option(help="audio to transcribe into timestamped speech")
    ] = None,
    transcript: Annotated[
        Path | None, typer.Option(help="an Aria speech.csv transcript (with a .vrs)")
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="ISO wall time the recording began (default: from the file)")
    ] = None,
    gap_minutes: Annotated[
        float, typer.Option(help="for a photo folder: minutes between photos")
    ] = 20.0,
    folder: Folder = None,
) -> None:
    """Remember a video (plus --audio), a day of photos, or an Aria recording (resumable)."""
    from oculi.memory.errors import MemoryInputError
    from oculi.memory.recall import local_time
    from oculi.memory.sources import AriaVrsSource, PhotoDaySource, VideoFileSource
    from oculi.memory.transcripts import read_aria_speech

    svc = _service(folder)
    t0 = _when(start)
    if source.is_dir():
        src = PhotoDaySource(
            source, start=t0 or datetime.now().timestamp() - 86400, gap_minutes=gap_minutes
        )
    elif source.suffix.lower() == ".vrs":
        src = AriaVrsSource(source, svc.settings.sample_fps)
    elif source.exists():
        src = VideoFileSource(source, svc.settings.sample_fps, start=t0)
    else:
        raise MemoryInputError(f"no such file or folder: {source}", hint="check the path")
    with Progress(
        TextColumn("remembering {task.description}"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f} s"),
        TimeRemainingColumn(),
        console=console,
    ) as bar:
        task = bar.add_task(source.name, total=src.duration_s or None)
        report = svc.ingest(
            src,
            audio=audio,
            label=source.name,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    if transcript is not None:
        if not isinstance(src, AriaVrsSource):
            raise typer.BadParameter(
                "--transcript is for Aria .vrs recordings (use --audio for others)"
            )
        from oculi.memory.ingest import ingest_utterances

        ingest_utterances(
            svc.store(),
            src.key,
            read_aria_speech(transcript, src.wall_time),
            svc._embedder(),
            source_label=transcript.name,
            report=report,
        )
    resumed = f" (resumed after {local_time(report.resumed_from)})" if report.resumed_from else ""
    console.print(
        f"[green]✓[/] {report.keyframes} keyframe(s), {report.utterances} utterance(s) stored{resumed}"
        + (
            f"; {report.thumbs_refused} thumbnail(s) withheld (face blur failed)"
            if report.thumbs_refused
            else ""
        )
    )


def recall(
    question: Annotated[
        str, typer.Argument(help="e.g. 'what was on the laptop screen this morning?'")
    ],
    model: Annotated[
        str | None, typer.Option(help="chat model id (default: the configured one)")
    ] = None,
    no_llm: Annotated[
        bool, typer.Option("--no-llm", help="show the matching moments instead of an answer")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    folder: Folder = None,
) -> None:
    """Answer from memory, citing the time and thumbnail of each moment used."""
    svc = _service(folder)
    if not no_llm:
        from oculi.config import load_settings
        from oculi.llm.loader import load_engine

        svc.engine = load_engine(load_settings(), model)
    answer = svc.recall(question)
    if as_json:
        print(json.dumps(answer.to_json(), indent=2, ensure_ascii=False))
        return
    console.print(answer.answer)
    for i, c in enumerate(answer.citations, 1):
        console.print(
            f"  [{i}] {c.time} {c.kind}: {c.text[:80]!r}"
            + (f"\n      {c.thumbnail}" if c.thumbnail else "")
        )
