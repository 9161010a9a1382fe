"""`oculi bench memory`: ingest speed, recall latency at scale, database size per hour.

References measured in the same run: ingest is compared with plain decoding of the same video
(the floor any ingest pays), recall with an exact brute-force numpy search over the same
vectors (what the binary index + rerank must beat at scale).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from oculi.memory.service import MemoryService
from oculi.memory.settings import MemorySettings
from oculi.memory.sources import VideoFileSource
from oculi.memory.store import MemoryStore, NewMoment

PLACES = [
    "kitchen",
    "office",
    "station",
    "café",
    "bakery",
    "pharmacy",
    "park",
    "garage",
    "library",
    "platform",
    "desk",
    "car",
]
THINGS = [
    "keys",
    "wallet",
    "laptop",
    "charger",
    "invoice",
    "ticket",
    "umbrella",
    "medicine",
    "glasses",
    "passport",
    "menu",
    "receipt",
    "notebook",
    "phone",
    "parcel",
    "bicycle",
]
PEOPLE = ["Anna", "Ben", "Chloe", "David", "Emma", "Farid", "Grace", "Hugo"]
QUESTIONS = [
    "where did I leave my keys",
    "what did Anna say about Friday",
    "which platform was the train",
    "what was on the café menu this morning",
    "the invoice number yesterday",
    "what medicine did I buy",
    "who was at the bakery an hour ago",
    "what did the parcel label say",
    "what did Ben say at 3pm",
    "where is my umbrella",
]


def _sentence(rng: np.random.Generator, i: int) -> tuple[str, str]:
    place, thing, person = rng.choice(PLACES), rng.choice(THINGS), rng.choice(PEOPLE)
    if i % 3 == 0:
        return "speech", f"{person} said the {thing} is at the {place}, see you on day {i % 28}"
    return "sight", f"{thing.upper()} {place} label {rng.integers(1000, 9999)} near the {place}"


def fill_synthetic(
    store: MemoryStore,
    embedder: Any,
    n: int,
    distinct: int = 500,
    seed: int = 0,
    span_days: float = 30.0,
) -> None:
    """n moments over the last `span_days`: real embeddings of `distinct` sentences, each reused
    with a little noise (embedding 100k sentences would dominate the benchmark's run time)."""
    rng = np.random.default_rng(seed)
    pool = [_sentence(rng, i) for i in range(min(distinct, n))]
    vecs = embedder.embed([t for _k, t in pool])
    now = time.time()
    have = store.count()
    with store.conn:  # one transaction: 100k commits would measure fsync, not the store
        for i in range(have, n):
            kind, text = pool[i % len(pool)]
            v = vecs[i % len(pool)] + rng.normal(0, 0.02, vecs.shape[1]).astype(np.float32)
            v /= np.linalg.norm(v)
            ts = now - span_days * 86400 * (1 - i / n)
            m = NewMoment(
                kind=kind,
                ts=ts,
                ocr_text=text if kind == "sight" else "",
                transcript=text if kind == "speech" else None,
            )
            store.add(m, v)


def _percentiles(ms: list[float]) -> dict[str, float]:
    q = np.percentile(ms, [50, 95])
    return {
        "p50_ms": round(float(q[0]), 2),
        "p95_ms": round(float(q[1]), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
    }


def recall_latency(
    service: MemoryService, sizes: list[int], repeats: int = 5, log: Callable[[str], None] = print
) -> list[dict[str, Any]]:
    store, embedder = service.store(), service._embedder()
    recaller = service.recaller()
    out = []
    for n in sizes:
        t0 = time.perf_counter()
        fill_synthetic(store, embedder, n)
        log(f"  {n:,} memories stored in {time.perf_counter() - t0:.1f} s")
        mat = np.frombuffer(
            b"".join(r[0] for r in store.conn.execute("SELECT embedding FROM moments")),
            dtype=np.float32,
        ).reshape(n, -1)
        ours, brute = [], []
        for _ in range(repeats):
            for q in QUESTIONS:
                t = time.perf_counter()
                recaller.retrieve(q, datetime.now().astimezone())
                ours.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                qv = embedder.embed([q])[0]
                np.argpartition(-(mat @ qv), 50)[:50]
                brute.append((time.perf_counter() - t) * 1000)
        out.append(
            {
                "memories": n,
                "recall": _percentiles(ours),
                "reference_numpy_exact": _percentiles(brute),
            }
        )
    return out


@dataclass
class IngestResult:
    video_seconds: float
    wall_seconds: float
    decode_only_seconds: float
    keyframes: int
    bytes_total: int

    @property
    def x_realtime(self) -> float:
        return self.video_seconds / self.wall_seconds

    @property
    def mb_per_hour(self) -> float:
        return self.bytes_total / 1e6 * 3600 / self.video_seconds


def ingest_speed(service: MemoryService, video: Path) -> IngestResult:
    source = VideoFileSource(
        video, sample_fps=service.settings.sample_fps, start=time.time() - 86400
    )
    service._perception()  # models load before the clock starts
    service._embedder()
    t = time.perf_counter()
    import av

    with av.open(str(video)) as c:
        c.streams.video[0].thread_type = "AUTO"
        for _ in c.decode(video=0):
            pass
    decode = time.perf_counter() - t
    t = time.perf_counter()
    report = service.ingest(source)
    wall = time.perf_counter() - t
    st = service.store().stats()
    return IngestResult(
        source.duration_s or 0.0,
        wall,
        decode,
        report.keyframes,
        int(st["db_bytes"]) + int(st["thumb_bytes"]),
    )


def run(
    photos: list[Path],
    sizes: list[int],
    seconds_each: float = 10.0,
    threads: int = 2,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    from oculi.memory.synth import make_slideshow

    with tempfile.TemporaryDirectory(prefix="oculi-bench-memory-") as tmp:
        root = Path(tmp)
        video = root / "day.mp4"
        make_slideshow(photos, video, seconds_each=seconds_each, fps=15)
        settings = MemorySettings(folder=root / "ingest", retention_days=0, threads=threads)
        svc = MemoryService(settings)
        log(f"ingest: {len(photos)} photos × {seconds_each:g} s video")
        ing = ingest_speed(svc, video)
        svc.close()
        rec_svc = MemoryService(
            MemorySettings(folder=root / "scale", retention_days=0, threads=threads),
            embedder=svc.embedder,
        )
        log("recall latency:")
        latency = recall_latency(rec_svc, sizes, log=log)
        rec_svc.close()
    return {
        "ingest": {
            "video_seconds": ing.video_seconds,
            "wall_seconds": round(ing.wall_seconds, 2),
            "x_realtime": round(ing.x_realtime, 2),
            "keyframes": ing.keyframes,
            "reference_decode_only_x_realtime": round(
                ing.video_seconds / ing.decode_only_seconds, 1
            ),
            "db_mb_per_hour_of_video": round(ing.mb_per_hour, 2),
            "threads": threads,
            "sample_fps": settings.sample_fps,
        },
        "recall": latency,
        "target": {"recall_p95_ms_at_100k": 50, "ingest_x_realtime": 2},
    }
