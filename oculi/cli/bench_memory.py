"""`oculi bench memory`: ingest ×real time, recall p50/p95 at 1k/10k/100k, MB per hour."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from oculi.cli.console import console, err_console
from oculi.memory.errors import MemoryInputError

SHARED_PHOTOS = (
    Path(__file__).resolve().parents[3] / "shared" / "data" / "vizwiz_captions" / "images"
)


def bench_memory(
    sizes: Annotated[
        str, typer.Option(help="comma-separated memory counts for recall latency")
    ] = "1000,10000,100000",
    photos: Annotated[
        Path, typer.Option(help="folder of photos the test video is made from")
    ] = SHARED_PHOTOS,
    seconds_each: Annotated[
        float, typer.Option(help="seconds each photo stays in the video")
    ] = 10.0,
    threads: Annotated[int, typer.Option(help="CPU threads for OCR and embeddings")] = 2,
    out: Annotated[Path, typer.Option(help="where to write the JSON result")] = Path(
        "bench-results/memory.json"
    ),
) -> None:
    """Ingest speed vs plain decoding, recall latency vs exact numpy search, DB size per hour."""
    from oculi.memory import bench

    files = (
        sorted(p for p in photos.glob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
        if photos.is_dir()
        else []
    )
    if not files:
        raise MemoryInputError(
            f"no photos in {photos}", hint="pass --photos FOLDER (any folder of JPEGs)"
        )
    result = bench.run(
        files[:12],
        [int(s) for s in sizes.split(",") if s.strip()],
        seconds_each,
        threads,
        log=lambda s: err_console.print(s),
    )
    ing = result["ingest"]
    console.print(
        f"ingest: [bold]{ing['x_realtime']}× real time[/] ({ing['keyframes']} keyframes in "
        f"{ing['video_seconds']:.0f} s of video; decoding alone {ing['reference_decode_only_x_realtime']}×); "
        f"{ing['db_mb_per_hour_of_video']} MB per hour of video"
    )
    table = Table(title="recall latency (retrieval, no LLM)")
    for col in ("memories", "p50 ms", "p95 ms", "numpy exact p50", "numpy exact p95"):
        table.add_column(col, justify="right")
    for r in result["recall"]:
        table.add_row(
            f"{r['memories']:,}",
            str(r["recall"]["p50_ms"]),
            str(r["recall"]["p95_ms"]),
            str(r["reference_numpy_exact"]["p50_ms"]),
            str(r["reference_numpy_exact"]["p95_ms"]),
        )
    console.print(table)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    console.print(f"wrote {out}")
