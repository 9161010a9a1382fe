"""`oculi bench memory`: ingest speed, recall latency at scale, database size per hour.

References measured in the same run: ingest is compared with plain decoding of the same video
(the floor any ingest pays), recall with an exact brute-force numpy search over the same
vectors (what the binary index + rerank must beat at scale).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from oculi.memory.corpus import PEOPLE, PLACES, THINGS, Corpus, Sentence
from oculi.memory.recall import Recaller
from oculi.memory.retrieval import content_words, fts_query
from oculi.memory.service import MemoryService
from oculi.memory.settings import MemorySettings
from oculi.memory.sources import VideoFileSource
from oculi.memory.store import MemoryStore, NewMoment
from oculi.memory.timefilter import parse

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


def _tiny_sentence(rng: np.random.Generator, i: int) -> tuple[str, str]:
    """The old stress corpus: 36 words, so every query word matches thousands of moments."""
    place, thing, person = rng.choice(PLACES), rng.choice(THINGS), rng.choice(PEOPLE)
    if i % 3 == 0:
        return "speech", f"{person} said the {thing} is at the {place}, see you on day {i % 28}"
    return "sight", f"{thing.upper()} {place} label {rng.integers(1000, 9999)} near the {place}"


CORPUS_VERSION = "2"  # bump when the corpus changes: cached stores are rebuilt


def fill_synthetic(
    store: MemoryStore,
    embedder: Any,
    n: int,
    distinct: int = 500,
    seed: int = 0,
    span_days: float = 30.0,
    vocabulary: str = "real",
    now: float | None = None,
) -> None:
    """n moments over the `span_days` before `now`, stored in time order as ingest does
    (see `corpus.py` for why the words are realistic).

    `vocabulary="tiny"` builds the old degenerate corpus instead: a stress test, not real use.
    """
    rng = np.random.default_rng(seed)
    corpus = Corpus(seed)
    if vocabulary == "tiny":
        tiny = [_tiny_sentence(rng, i) for i in range(min(distinct, n))]
        pool = [Sentence(kind, text, text) for kind, text in tiny]
    else:
        pool = [corpus.sentence(i) for i in range(min(distinct, n))]
    vecs = embedder.embed([s.text for s in pool])
    now = time.time() if now is None else now
    have = store.count()
    with store.conn:  # one transaction: 100k commits would measure fsync, not the store
        for i in range(have, n):
            pooled = pool[i % len(pool)]
            text = pooled.text if vocabulary == "tiny" else corpus.moment_text(pooled)
            v = vecs[i % len(pool)] + rng.normal(0, 0.02, vecs.shape[1]).astype(np.float32)
            v /= np.linalg.norm(v)
            ts = now - span_days * 86400 * (1 - i / n)
            m = NewMoment(
                kind=pooled.kind,
                ts=ts,
                ocr_text=text if pooled.kind == "sight" else "",
                transcript=text if pooled.kind == "speech" else None,
            )
            store.add(m, v)


def synthetic_store(
    folder: Path, embedder: Any, n: int, vocabulary: str, log: Callable[[str], None] = print
) -> tuple[MemoryStore, datetime]:
    """A store of n synthetic moments, reused from `folder` when an earlier run built the same
    corpus; returns it with the 'now' its moments were dated against (questions such as
    "this morning" must be asked at that time to mean the same moments)."""
    key = f"{vocabulary}-{n}-v{CORPUS_VERSION}"
    store = MemoryStore(folder)
    built = store.get_meta("bench_corpus") == key and store.count() == n
    if not built:
        store.close()
        for f in folder.glob("memory.db*"):
            f.unlink()
        store = MemoryStore(folder)
        t0 = time.perf_counter()
        now = time.time()
        fill_synthetic(store, embedder, n, vocabulary=vocabulary, now=now)
        store.set_meta("bench_now", repr(now))
        store.set_meta("bench_corpus", key)
        log(f"  {n:,} memories stored in {time.perf_counter() - t0:.1f} s")
    else:
        log(f"  {n:,} memories reused from {folder}")
    now_ts = float(store.get_meta("bench_now") or time.time())
    return store, datetime.fromtimestamp(now_ts).astimezone()


def _percentiles(ms: list[float]) -> dict[str, float]:
    q = np.percentile(ms, [50, 95])
    return {
        "p50_ms": round(float(q[0]), 2),
        "p95_ms": round(float(q[1]), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
    }


def _plain_fts(store: MemoryStore, question: str, now: datetime) -> None:
    """The reference word search: FTS5 bm25 joined with the time filter, nothing bounded."""
    parsed = parse(question, now)
    words = content_words(parsed.text)
    if not words:
        return
    start, end = (parsed.window.start, parsed.window.end) if parsed.window else (-1e18, 1e18)
    store.conn.execute(
        "SELECT f.rowid, bm25(moments_fts) AS score FROM moments_fts f "
        "JOIN moments m ON m.id = f.rowid "
        "WHERE moments_fts MATCH ? AND m.ts >= ? AND m.ts < ? ORDER BY score LIMIT 50",
        (fts_query(words), start, end),
    ).fetchall()


def recall_latency(
    settings: MemorySettings,
    embedder: Any,
    sizes: list[int],
    cache: Path,
    repeats: int = 5,
    vocabulary: str = "real",
    log: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """Recall (retrieval, no LLM) vs two references on the same store in the same run:
    exact numpy search over every vector, and a naive hybrid (query embedding, exact numpy
    search, plain FTS5 query), one after the other. The first recall after opening the store
    is timed too: it loads the in-memory vector index, as a real first question would.
    Each is timed in blocks of the ten questions, alternating, so load from other processes
    falls on all three alike."""
    out = []
    for n in sizes:
        store, now = synthetic_store(cache / f"{vocabulary}-{n}", embedder, n, vocabulary, log)
        recaller = Recaller(store, embedder, settings)
        mat = np.frombuffer(
            b"".join(r[0] for r in store.conn.execute("SELECT embedding FROM moments")),
            dtype=np.float32,
        ).reshape(n, -1)
        ours, brute, naive = [], [], []
        load_before = os.getloadavg()[0]
        for _ in range(repeats):  # in blocks: the exact search sweeps 150 MB at 100k, which
            for q in QUESTIONS:  # would evict the caches of a recall measured right after it
                t = time.perf_counter()
                recaller.retrieve(q, now)
                ours.append((time.perf_counter() - t) * 1000)
            for q in QUESTIONS:
                t = time.perf_counter()
                np.argpartition(-(mat @ embedder.embed([q])[0]), 50)[:50]
                brute.append((time.perf_counter() - t) * 1000)
            for q in QUESTIONS:
                t = time.perf_counter()
                np.argpartition(-(mat @ embedder.embed([q])[0]), 50)[:50]
                _plain_fts(store, q, now)
                naive.append((time.perf_counter() - t) * 1000)
        store.close()
        out.append(
            {
                "memories": n,
                "vocabulary": vocabulary,
                "recall": _percentiles(ours),
                "reference_numpy_exact": _percentiles(brute),
                "reference_naive_hybrid": _percentiles(naive),
                "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            }
        )
        log(
            f"  {n:,}: recall p50 {out[-1]['recall']['p50_ms']} ms, "
            f"p95 {out[-1]['recall']['p95_ms']} ms (load {load_before:.1f})"
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
    cache: Path | None = None,
    vocabulary: str = "real",
    ingest: bool = True,
) -> dict[str, Any]:
    """`cache`: where the synthetic stores are kept between runs (None: a temporary folder)."""
    from oculi.memory.embeddings import load_embedder
    from oculi.memory.synth import make_slideshow

    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="oculi-bench-memory-") as tmp:
        root = Path(tmp)
        settings = MemorySettings(folder=root / "ingest", retention_days=0, threads=threads)
        embedder = load_embedder(settings.embed_model)
        if ingest:
            video = root / "day.mp4"
            make_slideshow(photos, video, seconds_each=seconds_each, fps=15)
            svc = MemoryService(settings, embedder=embedder)
            log(f"ingest: {len(photos)} photos × {seconds_each:g} s video")
            ing = ingest_speed(svc, video)
            svc.close()
            result["ingest"] = {
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
                "load_average_1min": round(os.getloadavg()[0], 2),
            }
        log(f"recall latency ({vocabulary} vocabulary):")
        result["recall"] = recall_latency(
            settings, embedder, sizes, cache or root / "scale", vocabulary=vocabulary, log=log
        )
    result["target"] = {"recall_p95_ms_at_100k": 50, "ingest_x_realtime": 2}
    return result
