"""Forget (id, range, everything), retention with automatic expiry, pause, export."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from oculi.memory import controls
from oculi.memory.errors import MemoryPaused
from oculi.memory.export import export
from oculi.memory.ingest import ingest_frames, ingest_utterances
from oculi.memory.protocols import Utterance
from oculi.memory.service import MemoryService
from oculi.memory.settings import MemorySettings
from oculi.memory.sources import PhotoDaySource
from oculi.memory.store import MemoryStore, NewMoment
from oculi.memory.thumbnails import save_thumbnail

DAY = 86400.0


def _fill(store: MemoryStore, embedder, faces, photos: list[Path], now: float) -> list[int]:
    """Five moments, one a day going back, each with a real face-blurred thumbnail."""
    ids = []
    for i, p in enumerate(photos[:5]):
        ts = now - i * DAY - 60
        rgb = np.asarray(ImageOps.exif_transpose(Image.open(p)).convert("RGB"))
        thumb = save_thumbnail(rgb, faces, store.folder, ts)
        m = NewMoment(kind="sight", ts=ts, ocr_text=f"label {i} {p.stem}", thumb=thumb)
        ids.append(store.add(m, embedder.embed([m.body()])[0]))
    return ids


def _thumb_files(store: MemoryStore) -> int:
    return sum(1 for f in store.thumbs.rglob("*") if f.is_file())


def test_forget_by_id_range_and_everything(store, embedder, faces, photos) -> None:
    now = time.time()
    ids = _fill(store, embedder, faces, photos, now)
    assert _thumb_files(store) == 5
    assert controls.forget_ids(store, [ids[0]]) == 1
    assert (
        controls.forget_range(store, now - 2.5 * DAY, now - 1.5 * DAY) == 1
    )  # the moment 2 days ago
    assert sorted(m.id for m in store.list()) == sorted([ids[1], ids[3], ids[4]])
    raw = b"".join(f.read_bytes() for f in store.folder.glob("memory.db*"))
    assert photos[0].stem.encode() not in raw  # forgotten text is overwritten, not just unlinked
    assert _thumb_files(store) == 3
    assert controls.forget_all(store) == 3
    assert store.count() == 0 and _thumb_files(store) == 0
    for table in ("moments_fts", "moments_bin", "ingest_runs"):
        assert store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0
    # really gone: the text is not left in free pages of the file either
    assert b"label 4" not in (store.folder / "memory.db").read_bytes()


def test_retention_expires_old_moments_on_open(settings, embedder, faces, photos) -> None:
    now = time.time()
    with MemoryStore(settings.resolved_folder()) as s:
        _fill(s, embedder, faces, photos, now)
        controls.set_retention(s, 2.5)  # keep two and a half days
    svc = MemoryService(settings, embedder=embedder)
    kept = svc.store().list()
    assert len(kept) == 3 and all(now - m.ts < 2.5 * DAY for m in kept)
    assert _thumb_files(svc.store()) == 3
    controls.set_retention(svc.store(), 0)
    assert controls.retention_days(svc.store(), 30) is None  # 0 means forever
    svc.close()


def test_default_retention_comes_from_settings(tmp_path, embedder, faces, photos) -> None:
    settings = MemorySettings(folder=tmp_path / "m", retention_days=1.5)
    with MemoryStore(settings.resolved_folder()) as s:
        _fill(s, embedder, faces, photos, time.time())
    svc = MemoryService(settings, embedder=embedder)
    assert svc.store().count() == 2
    svc.close()


def test_paused_memory_stores_nothing(settings, embedder, observer, faces, photos) -> None:
    svc = MemoryService(settings, embedder=embedder, observer=observer, blurrer=faces)
    store = svc.store()
    controls.pause(store)
    day = PhotoDaySource(photos[0].parent, start=1.7e9)
    with pytest.raises(MemoryPaused):
        svc.ingest(day)
    with pytest.raises(MemoryPaused):
        ingest_utterances(store, "k", [Utterance(1.0, 2.0, "hello")], embedder)
    assert store.count() == 0 and _thumb_files(store) == 0
    controls.resume(store)
    ingest_utterances(store, "k", [Utterance(1.0, 2.0, "hello")], embedder)
    assert store.count() == 1


def test_pause_from_another_process_stops_a_running_ingest(
    settings, embedder, observer, faces, photos
) -> None:
    store = MemoryStore(settings.resolved_folder())
    other = MemoryStore(settings.resolved_folder())  # e.g. `oculi memory pause` in another shell

    def pause_after_two(mid: int) -> None:
        if store.count() == 2:
            controls.pause(other)

    day = PhotoDaySource(photos[0].parent, start=1.7e9)
    with pytest.raises(MemoryPaused):
        ingest_frames(
            store,
            day,
            observer=observer,
            blurrer=faces,
            embedder=embedder,
            settings=settings,
            on_stored=pause_after_two,
        )
    assert store.count() == 2
    other.close()
    store.close()


def test_export_jsonl_and_images(store, embedder, faces, photos, tmp_path) -> None:
    _fill(store, embedder, faces, photos, time.time())
    ingest_utterances(
        store, "talk", [Utterance(time.time() - 5, time.time() - 3, "see you on Friday")], embedder
    )
    out = tmp_path / "export"
    assert export(store, out) == 6
    lines = [json.loads(x) for x in (out / "memories.jsonl").read_text().splitlines()]
    assert len(lines) == 6
    images = [rec["image"] for rec in lines if "image" in rec]
    assert len(images) == 5 and all((out / i).is_file() for i in images)
    speech = [rec for rec in lines if rec["kind"] == "speech"]
    assert speech[0]["transcript"] == "see you on Friday" and "time" in speech[0]


def test_export_to_a_file_is_a_clear_error(store, tmp_path) -> None:
    from oculi.memory.errors import MemoryInputError

    target = tmp_path / "notes.txt"
    target.write_text("keep me")
    with pytest.raises(MemoryInputError) as err:
        export(store, target)
    assert err.value.code == "memory_bad_input" and err.value.hint
    assert target.read_text() == "keep me"  # nothing lost
