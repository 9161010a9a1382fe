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
    threads: Annotated[int, typer.Option(help="CPU threads for OCR")] = 2,
    vocabulary: Annotated[
        str,
        typer.Option(
            help="'real': English word frequencies + a personal vocabulary (see "
            "oculi/memory/corpus.py); 'tiny': 36 words, every word in thousands of moments "
            "(a stress test)"
        ),
    ] = "real",
    cache: Annotated[
        bool,
        typer.Option(
            help="keep the synthetic stores between runs (in OCULI_HOME's cache folder, "
            "rebuilt when the corpus changes)"
        ),
    ] = True,
    ingest: Annotated[bool, typer.Option(help="also measure ingest speed")] = True,
    out: Annotated[Path, typer.Option(help="where to write the JSON result")] = Path(
        "bench-results/memory.json"
    ),
) -> None:
    """Ingest speed vs plain decoding, recall latency vs exact numpy search and a naive hybrid
    search, DB size per hour."""
    from oculi.memory import bench
    from oculi.paths import Paths

    if vocabulary not in ("real", "tiny"):
        raise typer.BadParameter(f"--vocabulary is 'real' or 'tiny', not {vocabulary!r}")
    files = (
        sorted(p for p in photos.glob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
        if photos.is_dir()
        else []
    )
    if ingest and not files:
        raise MemoryInputError(
            f"no photos in {photos}", hint="pass --photos FOLDER (any folder of JPEGs)"
        )
    result = bench.run(
        files[:12],
        [int(s) for s in sizes.split(",") if s.strip()],
        seconds_each,
        threads,
        log=lambda s: err_console.print(s),
        cache=Paths.from_env().models.parent / "bench-memory" if cache else None,
        vocabulary=vocabulary,
        ingest=ingest,
    )
    if "ingest" in result:
        ing = result["ingest"]
        console.print(
            f"ingest: [bold]{ing['x_realtime']}× real time[/] ({ing['keyframes']} keyframes in "
            f"{ing['video_seconds']:.0f} s of video; decoding alone "
            f"{ing['reference_decode_only_x_realtime']}×); "
            f"{ing['db_mb_per_hour_of_video']} MB per hour of video"
        )
    table = Table(title=f"recall latency (retrieval, no LLM; {vocabulary} vocabulary)")
    for col in (
        "memories",
        "p50 ms",
        "p95 ms",
        "numpy exact p50/p95",
        "naive hybrid p50/p95",
        "load avg",
    ):
        table.add_column(col, justify="right")
    for r in result["recall"]:
        exact, naive = r["reference_numpy_exact"], r["reference_naive_hybrid"]
        table.add_row(
            f"{r['memories']:,}",
            str(r["recall"]["p50_ms"]),
            str(r["recall"]["p95_ms"]),
            f"{exact['p50_ms']} / {exact['p95_ms']}",
            f"{naive['p50_ms']} / {naive['p95_ms']}",
            " → ".join(str(x) for x in r["load_average_1min"]),
        )
    console.print(table)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    console.print(f"wrote {out}")
