"""Hybrid retrieval: words (FTS5 BM25) + meaning (MiniLM vectors) + a time window.

The two rankings are fused with reciprocal-rank fusion, which needs no score calibration
between BM25 and cosine. A moment counts as *relevant* only if a content word matched or its
meaning is close enough (`min_similarity`); without either, recall says it does not remember
instead of handing the LLM the least-bad guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from oculi.memory.protocols import Embedder
from oculi.memory.store import MemoryStore, Moment
from oculi.memory.timefilter import ParsedQuery, TimeWindow, parse

RRF_K = 60
_STOP_TEXT = """
    a an the and or but of to in on at by for with from about into over under than then what
    whats what's which who whom whose when where why how is are was were be been being do does
    did done have has had i me my mine myself you your we our us he she him her his they them
    their it its this that these those there here any some anything something all again see saw
    seen seeing look looked looking watch watched read say said tell told hear heard remember
    recall show find know thing things can could would should will just please leave left get
    got one ones name called
"""
STOPWORDS = frozenset(_STOP_TEXT.split())
_WORD = re.compile(r"[\w'][\w'.-]*", re.UNICODE)


@dataclass(frozen=True)
class Hit:
    moment: Moment
    score: float
    word_rank: int | None
    similarity: float | None


@dataclass(frozen=True)
class Retrieval:
    query: ParsedQuery
    hits: list[Hit]
    browsing: bool  # the question was only a time ("what did I see this morning?")


def content_words(text: str) -> list[str]:
    words = [w.strip("'.-").lower() for w in _WORD.findall(text)]
    return [w for w in words if w and w not in STOPWORDS and len(w) > 1]


_HEARD = re.compile(r"\b(hear|heard|listen|listened|said|say|talk|talked|told)\b", re.IGNORECASE)
_SEEN = re.compile(r"\b(see|saw|seen|look|looked|read|watch|watched)\b", re.IGNORECASE)


def _kind_asked(text: str) -> str | None:
    """ "What did I hear this morning?" browses speech only; "…see…" sights only."""
    heard, seen = bool(_HEARD.search(text)), bool(_SEEN.search(text))
    return "speech" if heard and not seen else "sight" if seen and not heard else None


def fts_query(words: list[str]) -> str:
    return " OR ".join('"' + w.replace('"', "") + '"' for w in dict.fromkeys(words))


def retrieve(
    store: MemoryStore,
    embedder: Embedder,
    question: str,
    now: datetime,
    *,
    k: int = 6,
    min_similarity: float = 0.35,
    pool: int = 50,
) -> Retrieval:
    parsed = parse(question, now)
    window: TimeWindow | None = parsed.window
    start, end = (window.start, window.end) if window else (-1e18, 1e18)
    words = content_words(parsed.text)
    if window and not words:
        moments = store.list(start, end, limit=k, newest_first=False, kind=_kind_asked(parsed.text))
        return Retrieval(parsed, [Hit(m, 1.0, None, None) for m in moments], browsing=True)
    # One after the other: running the word search beside the embedding in a second thread
    # was slower on 2 busy cores (`oculi bench memory`, p50 27-44 ms vs 24-27 ms at 100k).
    vec_hits = store.vec_search(embedder.embed([parsed.text or question])[0], start, end, pool)
    common = store.common_words(words) if words else set()
    words = [w for w in words if w not in common]  # in most moments: tells nothing, costs most
    word_hits = store.fts_search(fts_query(words), start, end, pool) if words else []
    scores: dict[int, float] = {}
    word_rank = {mid: r for r, (mid, _s) in enumerate(word_hits)}
    sim = dict(vec_hits)
    for r, (mid, _s) in enumerate(word_hits):
        scores[mid] = scores.get(mid, 0.0) + 1.0 / (RRF_K + r)
    for r, (mid, s) in enumerate(vec_hits):
        scores[mid] = scores.get(mid, 0.0) + 1.0 / (RRF_K + r)
    relevant = [mid for mid in scores if mid in word_rank or sim.get(mid, -1.0) >= min_similarity]
    relevant.sort(key=lambda mid: -scores[mid])
    moments = {m.id: m for m in store.get(relevant[:k])}
    hits = [
        Hit(moments[mid], scores[mid], word_rank.get(mid), sim.get(mid))
        for mid in relevant[:k]
        if mid in moments
    ]
    return Retrieval(parsed, hits, browsing=False)
