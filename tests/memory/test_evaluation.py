"""The memory retrieval evaluation on the real shared data (a day of photos, speech and the
Aria recording). Slow: OCR of 25 photos and Whisper on two recordings; prints the score.
Answers are judged on the held-out day instead (test_heldout.py): the gate was tuned here."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from oculi.memory.evaluation import build_day, evaluate
from oculi.memory.service import MemoryService

DATE = datetime(2026, 11, 23).astimezone()
NOW = datetime(2026, 11, 23, 20, 0).astimezone()


@pytest.fixture
def built(settings, data: Path, embedder, observer, faces, transcriber):
    svc = MemoryService(
        settings, embedder=embedder, observer=observer, blurrer=faces, transcriber=transcriber
    )
    return svc, build_day(svc, data, DATE)


@pytest.mark.slow
def test_retrieval_finds_the_right_moments(built) -> None:
    svc, day = built
    assert len(day.photo_ids) == 25
    result = evaluate(svc, day, NOW)
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}))
    for row in result["rows"]:
        print(("PASS " if row["retrieved"] else "FAIL ") + row["question"])
    negatives = [r for r in result["rows"] if r["expect"] is None]
    assert all(r["retrieved"] for r in negatives)  # nothing invented for what never happened
    assert result["retrieval_score"] >= 0.75, result
