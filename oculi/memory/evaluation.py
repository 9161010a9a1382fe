"""The memory evaluation: a day built from the real shared data, and questions about it.

The day: the 25 VizWiz photos as frames 20 minutes apart from 08:00, the JFK speech at 09:10,
the two-speaker recording at 15:30, and the Aria glasses recording (RGB frames + its own
word-level transcript) at 17:00. Questions are written from the photos' reference captions
and the reference transcripts; each names the moment (photo file or words said) that answers
it, or none when the right answer is "I don't remember seeing that".

Scores: *retrieval* — the expected moment is among the top 3 moments found; *answer* — the
LLM's answer cites the expected moment (or, for a negative, says it does not remember).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from oculi.memory.ingest import ingest_frames, ingest_utterances
from oculi.memory.recall import NOT_REMEMBERED
from oculi.memory.service import MemoryService
from oculi.memory.sources import AriaVrsSource, PhotoDaySource
from oculi.memory.transcripts import read_aria_speech

PHOTO_START_H, PHOTO_GAP_MIN = 8, 20
JFK_AT, STEREO_AT, ARIA_AT = (9, 10), (15, 30), (17, 0)


@dataclass(frozen=True)
class Question:
    text: str
    expect: str | None  # photo file stem or words said; None = should not be remembered
    origin: str  # where the question comes from (caption / transcript / negative)


QUESTIONS: list[Question] = [
    # from the photo captions
    Question(
        "When did I see the screen asking to repair the computer?", "VizWiz_val_00000000", "caption"
    ),
    Question(
        "What model was the Dell Inspiron laptop on its label?", "VizWiz_val_00000019", "caption"
    ),
    Question("How many tablets were in the medicine package?", "VizWiz_val_00000026", "caption"),
    Question(
        "What did the blue screen say about verifying or checking files?",
        "VizWiz_val_00000024",
        "caption",
    ),
    Question("What was on the take out restaurant menu?", "VizWiz_val_00000030", "caption"),
    Question(
        "Which Windows version was the Dell laptop showing, Windows 7 home premium?",
        "VizWiz_val_00000005",
        "caption",
    ),
    Question(
        "What did the laptop system dialog say about the disk status?",
        "VizWiz_val_00000018",
        "caption",
    ),
    Question("What did the Samsung recovery screen show?", "VizWiz_val_00000031", "caption"),
    # from the reference transcripts
    Question(
        "What did the speaker say about what your country can do for you?",
        "ask not what your country",
        "transcript",
    ),
    Question(
        "What did I hear this morning about my fellow Americans?",
        "ask not what your country",
        "transcript+time",
    ),
    Question(
        "What was said about the wizard who vanished behind the curtain?", "wizard", "transcript"
    ),
    Question("What did I say about where I was?", "masters", "transcript"),
    Question("What did I ask about what I was looking at?", "looking at", "transcript"),
    # time filters
    Question(
        "What medicine package did I see this afternoon?", "VizWiz_val_00000026", "caption+time"
    ),
    Question(
        "What did the screen say about repairing the computer yesterday?",
        None,
        "negative (wrong day)",
    ),
    # nothing like these was seen or heard
    Question("Where did I leave my car keys?", None, "negative"),
    Question("What colour was the bicycle outside the bakery?", None, "negative"),
    Question("What did the doctor say about my blood pressure?", None, "negative"),
]


@dataclass
class Day:
    date: datetime  # local midnight of the day
    photo_ids: dict[str, int] = field(default_factory=dict)  # photo stem → moment id

    def at(self, hour: int, minute: int = 0) -> float:
        return (self.date + timedelta(hours=hour, minutes=minute)).timestamp()


def build_day(service: MemoryService, data: Path, date: datetime) -> Day:
    """Ingest the shared data as one day (resumable: a rerun stores nothing twice)."""
    day = Day(date)
    store = service.store()
    photos = PhotoDaySource(
        data / "vizwiz_captions" / "images", start=day.at(PHOTO_START_H), gap_minutes=PHOTO_GAP_MIN
    )
    observer, blurrer = service._perception()
    embedder = service._embedder()
    ingest_frames(
        store,
        photos,
        observer=observer,
        blurrer=blurrer,
        embedder=embedder,
        settings=service.settings,
        source_label="vizwiz photos",
    )
    for f, ts in zip(photos.files, photos.times()):
        row = store.conn.execute(
            "SELECT id FROM moments WHERE kind = 'sight' AND ts = ?", (ts,)
        ).fetchone()
        if row:
            day.photo_ids[f.stem] = row[0]
    transcriber = service._transcriber()
    for name, (h, m) in (("jfk.flac", JFK_AT), ("stereo_two_speakers.wav", STEREO_AT)):
        audio = data / "speech" / name
        ingest_utterances(
            store,
            f"speech:{name}:{day.at(h, m)}",
            transcriber.transcribe(str(audio)),
            embedder,
            offset=day.at(h, m),
            source_label=name,
        )
    aria = data / "aria_everyday_activities_test_data"
    try:
        vrs = AriaVrsSource(
            aria / "recording.vrs", sample_fps=service.settings.sample_fps, start=day.at(*ARIA_AT)
        )
    except Exception:  # noqa: BLE001 - projectaria-tools is optional; its transcript still counts
        vrs = None
    if vrs is not None:
        ingest_frames(
            store,
            vrs,
            observer=observer,
            blurrer=blurrer,
            embedder=embedder,
            settings=service.settings,
            source_label="aria recording",
        )
        to_wall = vrs.wall_time
    else:
        import csv

        with (aria / "speech.csv").open() as f:
            first = min(int(r["startTime_ns"]) for r in csv.DictReader(f))
        to_wall = lambda ns: day.at(*ARIA_AT) + (ns - first) / 1e9
    ingest_utterances(
        store,
        f"aria-speech:{day.at(*ARIA_AT)}",
        read_aria_speech(aria / "speech.csv", to_wall),
        embedder,
        source_label="aria speech.csv",
    )
    return day


def _matches(day: Day, service: MemoryService, expect: str, moment_id: int) -> bool:
    if expect in day.photo_ids:
        return day.photo_ids[expect] == moment_id
    moments = service.store().get([moment_id])
    return bool(moments) and expect.lower() in (moments[0].transcript or "").lower()


def evaluate(
    service: MemoryService, day: Day, now: datetime, questions: list[Question] = QUESTIONS
) -> dict[str, Any]:
    rows = []
    for q in questions:
        found = service.recaller().retrieve(q.text, now)
        top = [h.moment.id for h in found.hits[:3]]
        if q.expect is None:
            retrieved = not found.hits
        else:
            retrieved = any(_matches(day, service, q.expect, mid) for mid in top)
        row: dict[str, Any] = {
            "question": q.text,
            "origin": q.origin,
            "expect": q.expect,
            "retrieved": retrieved,
        }
        if service.engine is not None:
            ans = service.recall(q.text, now)
            cited = [c.moment_id for c in ans.citations]
            if q.expect is None:
                row["answered"] = ans.answer == NOT_REMEMBERED
            else:
                row["answered"] = any(_matches(day, service, q.expect, mid) for mid in cited)
            row["answer"] = ans.answer
            row["citations"] = [f"{c.time} {c.thumbnail or ''}" for c in ans.citations]
        rows.append(row)
    n = len(rows)
    result: dict[str, Any] = {
        "questions": n,
        "retrieval_score": sum(r["retrieved"] for r in rows) / n,
        "rows": rows,
    }
    if service.engine is not None:
        result["answer_score"] = sum(r["answered"] for r in rows) / n
    return result
