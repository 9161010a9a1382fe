"""Ingest: frames → keyframes → observations, speech → utterances, each stored as a moment.

Resumable: every moment is committed together with the ingest marker for its source (the time
of the last stored item), so a restarted ingest of the same source skips exactly what is
already stored. Pausing memory (from any process) stops ingest before the next moment.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from oculi.memory.errors import MemoryPaused
from oculi.memory.keyframes import KeyframeSelector
from oculi.memory.protocols import Embedder, FaceBlurrer, FrameSource, Observer, Utterance
from oculi.memory.settings import MemorySettings
from oculi.memory.store import MemoryStore, NewMoment
from oculi.memory.thumbnails import make_thumbnail

Progress = Callable[[float, float | None], None]  # (media seconds done, total or None)


@dataclass
class IngestReport:
    source_key: str
    resumed_from: float | None = None
    frames_seen: int = 0
    keyframes: int = 0
    utterances: int = 0
    thumbs_refused: int = 0  # keyframes stored without an image: face blurring failed
    withheld_reasons: list[str] = field(default_factory=list)
    media_seconds: float = 0.0
    wall_seconds: float = 0.0
    moment_ids: list[int] = field(default_factory=list)

    @property
    def speed(self) -> float:
        """Media seconds ingested per wall second (×real time)."""
        return self.media_seconds / self.wall_seconds if self.wall_seconds > 0 else 0.0


def is_paused(store: MemoryStore) -> bool:
    return store.get_meta("paused") == "1"


def _check_pause(store: MemoryStore) -> None:
    if is_paused(store):
        raise MemoryPaused(
            "memory is paused: nothing is being stored", hint="run `oculi memory resume`"
        )


def ingest_utterances(
    store: MemoryStore,
    source_key: str,
    utterances: Iterable[Utterance],
    embedder: Embedder,
    *,
    offset: float = 0.0,
    source_label: str = "",
    report: IngestReport | None = None,
    on_stored: Callable[[int], None] | None = None,
) -> IngestReport:
    """Store speech. `offset` shifts transcriber times (from file start) to wall time."""
    report = report or IngestReport(source_key)
    key = source_key + "#speech"
    done = store.progress(key)
    after = done[0] if done else None
    for u in utterances:
        start, end = u.start + offset, u.end + offset
        if after is not None and start <= after:
            continue
        _check_pause(store)
        m = NewMoment(kind="speech", ts=start, end_ts=end, source=source_label, transcript=u.text)
        mid = store.add(m, embedder.embed([m.body()])[0], progress=(key, start))
        report.moment_ids.append(mid)
        report.utterances += 1
        if on_stored:
            on_stored(mid)
    return report


def ingest_frames(
    store: MemoryStore,
    source: FrameSource,
    *,
    observer: Observer,
    blurrer: FaceBlurrer,
    embedder: Embedder,
    settings: MemorySettings,
    source_label: str = "",
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    report: IngestReport | None = None,
    on_stored: Callable[[int], None] | None = None,
) -> IngestReport:
    _check_pause(store)
    report = report or IngestReport(source.key)
    t0 = time.perf_counter()
    state = store.progress(source.key)
    if state and state[1]:
        report.resumed_from = state[0]
        return report  # already complete
    after = state[0] if state else None
    report.resumed_from = after
    selector = KeyframeSelector(
        settings.scene_threshold, settings.max_keyframe_gap_s, settings.min_sharpness
    )
    start = float(getattr(source, "start", 0.0))
    # media time this run covers: from where it resumed to the last frame (or the source's end)
    begin = after if after is not None else start
    last_ts = after
    for frame in source.frames(start_after=after):
        if cancel is not None and cancel.is_set():
            break
        report.frames_seen += 1
        last_ts = frame.ts
        report.media_seconds = max(report.media_seconds, frame.ts - begin)
        if progress:
            progress(frame.ts - start, source.duration_s)
        if not selector.offer(frame):
            continue
        _check_pause(store)
        obs = observer.observe(frame.rgb)
        thumb = make_thumbnail(frame.rgb, blurrer, store.folder, frame.ts, settings.thumb_px)
        if thumb.withheld:
            report.thumbs_refused += 1
            report.withheld_reasons.append(thumb.withheld)
        m = NewMoment(
            kind="sight",
            ts=frame.ts,
            source=source_label or source.key,
            ocr_text=obs.ocr_text,
            caption=obs.caption,
            people=obs.people,
            thumb=thumb.path,
            image_note=thumb.withheld,
        )
        mid = store.add(m, embedder.embed([m.body()])[0], progress=(source.key, frame.ts))
        report.moment_ids.append(mid)
        report.keyframes += 1
        if on_stored:
            on_stored(mid)
    else:
        store.mark_progress(source.key, last_ts if last_ts is not None else begin, done=True)
        if source.duration_s:
            report.media_seconds = max(report.media_seconds, start + source.duration_s - begin)
    report.wall_seconds += time.perf_counter() - t0
    return report
