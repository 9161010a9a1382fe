"""Recall: hybrid retrieval with time filters, answers with citations, the agent tools."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from oculi.memory.ingest import ingest_utterances
from oculi.memory.protocols import Utterance
from oculi.memory.recall import NOT_REMEMBERED, describe
from oculi.memory.service import MemoryService
from oculi.memory.store import Moment, NewMoment
from oculi.memory.thumbnails import save_thumbnail

NOW = datetime(2026, 11, 23, 20, 0).astimezone()


def _at(h: int, m: int = 0) -> float:
    return NOW.replace(hour=h, minute=m).timestamp()


@pytest.fixture
def day(settings, embedder, faces, photos) -> MemoryService:
    """Photos OCR'd ahead of time would be slow: store their real OCR text as observed."""
    svc = MemoryService(settings, embedder=embedder, blurrer=faces)
    store = svc.store()
    seen = [
        (_at(9, 0), "VizWiz_val_00000019", "INSPIRON 1545 CM-2 Input:19,5V Model No:PP41L"),
        (_at(13, 20), "VizWiz_val_00000026", "Tablets 28 8 mg 20"),
        (_at(15, 40), "VizWiz_val_00000000", "a not repair this computer automatically"),
    ]
    by_stem = {p.stem: p for p in photos}
    for ts, stem, text in seen:
        rgb = np.asarray(ImageOps.exif_transpose(Image.open(by_stem[stem])).convert("RGB"))
        thumb = save_thumbnail(rgb, faces, store.folder, ts)
        m = NewMoment(kind="sight", ts=ts, ocr_text=text, thumb=thumb, source=stem)
        store.add(m, embedder.embed([m.body()])[0])
    talk = [
        Utterance(_at(10, 5), _at(10, 5) + 6, "Let's meet at the café on Friday at noon."),
        Utterance(_at(18, 30), _at(18, 30) + 4, "The train to Leeds leaves from platform four."),
    ]
    ingest_utterances(store, "talk", talk, embedder)
    return svc


def test_words_meaning_and_time_pick_the_right_moments(day: MemoryService) -> None:
    r = day.recaller()
    assert (
        r.retrieve("what was the Inspiron model number?", NOW).hits[0].moment.source
        == "VizWiz_val_00000019"
    )
    # meaning only: no word of the question is in the moment
    meaning = (
        r.retrieve("which railway station platform does my train depart from", NOW).hits[0].moment
    )
    assert "Leeds" in (meaning.transcript or "")
    morning = r.retrieve("what did I hear this morning?", NOW)
    assert morning.query.window is not None
    assert [h.moment.transcript for h in morning.hits] == [
        "Let's meet at the café on Friday at noon."
    ]
    afternoon = r.retrieve("what medicine did I see this afternoon", NOW).hits
    assert [h.moment.source for h in afternoon][:1] == ["VizWiz_val_00000026"]
    assert all(_at(12) <= h.moment.ts < _at(17) for h in afternoon)
    # the right words on the wrong day find nothing
    assert r.retrieve("the Inspiron laptop yesterday", NOW).hits == []


def test_nothing_relevant_means_not_remembered(day: MemoryService, tiny_engine) -> None:
    day.engine = tiny_engine
    for q in ("where did I leave my car keys?", "what colour was the bicycle?"):
        ans = day.recall(q, NOW)
        assert ans.answer == NOT_REMEMBERED and ans.citations == [] and ans.answer_ms == 0.0


def test_answer_cites_time_and_face_blurred_thumbnail(day: MemoryService, tiny_engine) -> None:
    day.engine = tiny_engine
    ans = day.recall("What model number was on the Inspiron laptop label?", NOW)
    assert ans.answer_ms > 0  # the LLM was asked
    # retrieval found the label, so the answer never falls back to "I don't remember"
    assert ans.answer != NOT_REMEMBERED, ans.to_json()
    label = [c for c in ans.citations if c.text.startswith("INSPIRON")]
    assert label, ans.to_json()  # the label itself is cited, whatever the model wrote
    assert "09:00" in ans.answer, ans.answer  # and its time is said
    for c in ans.citations:
        assert datetime.fromisoformat(c.time).tzinfo is not None
        if c.kind == "sight":
            assert c.thumbnail and Path(c.thumbnail).is_file()


def test_the_llm_reads_a_long_label_to_its_end(day: MemoryService) -> None:
    """Facts at the end of a long OCR text used to be cut off at 300 characters."""
    long = "WARNING " * 60 + "Serial number XK-4471"
    m = Moment(kind="sight", ts=_at(11), ocr_text=long, source="label", id=1)
    assert "XK-4471" in describe(m)
    assert "XK-4471" in describe(Moment(kind="speech", ts=_at(11), transcript=long, source="s", id=2))


@pytest.mark.default_model
def test_default_model_answers_from_the_right_moment(day: MemoryService, default_engine) -> None:
    day.engine = default_engine
    ans = day.recall("Which Inspiron number was printed on the laptop label?", NOW)
    assert "1545" in ans.answer or "PP41L" in ans.answer  # both are on that label
    assert any("INSPIRON" in c.text for c in ans.citations)
    said = day.recall("When are we meeting at the café?", NOW)
    assert "friday" in said.answer.lower() and said.citations[0].kind == "speech"
    # speech has no picture of its own: it cites the nearest face-safe thumbnail, if any
    assert said.citations[0].time.startswith(NOW.strftime("%Y-%m-%dT10:05"))
