"""The held-out memory day (tests/memory/fixtures/heldout_day.json): written before any run,
frozen by sha256, never tuned on. Answers are judged by their words against the facts."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from oculi.memory.evaluation import build_heldout_day, evaluate_heldout
from oculi.memory.service import MemoryService

SPEC = Path(__file__).parent / "fixtures" / "heldout_day.json"
SHA256 = "a2292f58b1c028b1f4b9f960f0f28ba064460158a05e6c338a498126bcc7146e"


def test_the_heldout_day_is_frozen() -> None:
    assert hashlib.sha256(SPEC.read_bytes()).hexdigest() == SHA256, "the held-out set was edited"


@pytest.fixture(scope="module")
def spec() -> dict:
    return json.loads(SPEC.read_text(encoding="utf-8"))


@pytest.fixture
def heldout(spec, settings, data: Path, embedder, observer, faces, transcriber, tmp_path):
    from oculi.models.store import default_store

    store = default_store()
    if not store.status(store.get("hibari-tts")).installed:
        pytest.skip("hibari-tts is not installed: the day's spoken notes are synthesised with it")
    from oculi.voice.settings import VoiceSettings
    from oculi.voice.tts import HibariTTS

    tts = HibariTTS(VoiceSettings())
    svc = MemoryService(
        settings, embedder=embedder, observer=observer, blurrer=faces, transcriber=transcriber
    )
    ids = build_heldout_day(svc, data, spec, lambda t: (tts.synthesize(t), tts.sample_rate), tmp_path)
    assert len(ids) == len(spec["events"]), ids
    return svc, ids


def _show(result: dict) -> None:
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}))
    for row in result["rows"]:
        print(json.dumps(row, ensure_ascii=False))


@pytest.mark.slow
@pytest.mark.default_model
@pytest.mark.eval
def test_heldout_answers_state_the_facts(heldout, spec, default_engine) -> None:
    svc, ids = heldout
    svc.engine = default_engine
    result = evaluate_heldout(svc, spec, ids)
    _show(result)
    assert result["answer_score"] >= 0.5, result
