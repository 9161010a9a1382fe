"""Privacy (issue 8): faces blurred in everything stored and exported, fail closed when the
face detector fails, and forget really deletes from every store."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from oculi.errors import OculiError
from oculi.memory import controls
from oculi.memory.export import export
from oculi.memory.ingest import ingest_frames
from oculi.memory.perceive import FaceBlur
from oculi.memory.retrieval import retrieve
from oculi.memory.service import MemoryService
from oculi.memory.sources import PhotoDaySource
from oculi.memory.store import MemoryStore, NewMoment
from oculi.memory.thumbnails import save_thumbnail
from oculi.vision.errors import PerceptionError


def _rgb(path: Path) -> np.ndarray:
    return np.asarray(ImageOps.exif_transpose(Image.open(path)).convert("RGB"))


def _detail_match(a: np.ndarray, b: np.ndarray) -> float:
    """Correlation of the fine detail (what identifies a face: eyes, mouth) of two patches:
    ~1 for the same face, ~0 when one of them was blurred or pixelated."""

    def detail(x: np.ndarray) -> np.ndarray:
        g = cv2.cvtColor(x, cv2.COLOR_RGB2GRAY).astype(np.float64)
        return (g - cv2.GaussianBlur(g, (0, 0), 2.0)).ravel()

    da, db = detail(a), detail(b)
    return float(np.corrcoef(da, db)[0, 1]) if da.std() > 0 and db.std() > 0 else 0.0


@pytest.fixture(scope="session")
def photos_with_faces(faces) -> dict[Path, list]:
    """The last three shared photos in which the detector finds faces (real bystanders)."""
    from tests.memory.conftest import SHARED

    detector = FaceBlur()
    found = {}
    for p in sorted((SHARED / "data" / "vizwiz_captions" / "images").glob("*.jpg")):
        if boxes := detector.detect(_rgb(p)):
            found[p] = boxes
    return dict(list(found.items())[-3:])


@pytest.fixture
def face_day(tmp_path: Path, photos, photos_with_faces) -> tuple[Path, dict[str, list]]:
    if not photos_with_faces:
        pytest.skip("the face detector finds no face in the shared photos")
    folder = tmp_path / "faces"
    folder.mkdir()
    for p in photos_with_faces:
        shutil.copy(p, folder / p.name)
    return folder, {p.name: boxes for p, boxes in photos_with_faces.items()}


def _assert_faces_unreadable(original: np.ndarray, stored: np.ndarray, faces: list) -> None:
    """Every face region of the original is blurred in the stored (smaller) image."""
    sy, sx = stored.shape[0] / original.shape[0], stored.shape[1] / original.shape[1]
    plain = cv2.resize(original, (stored.shape[1], stored.shape[0]), interpolation=cv2.INTER_AREA)
    for f in faces:
        x0, y0, x1, y1 = f.box
        box = (slice(int(y0 * sy), int(y1 * sy)), slice(int(x0 * sx), int(x1 * sx)))
        assert _detail_match(stored[box], plain[box]) < 0.5, f.box  # unblurred: >= 0.9
    assert FaceBlur().detect(cv2.resize(stored, (original.shape[1], original.shape[0]))) == []


def test_faces_are_blurred_in_every_stored_and_exported_image(
    settings, face_day, embedder, observer, faces, tmp_path: Path
) -> None:
    folder, found = face_day
    day = PhotoDaySource(folder, start=1.7e9, gap_minutes=20)
    store = MemoryStore(settings.resolved_folder())
    report = ingest_frames(
        store, day, observer=observer, blurrer=faces, embedder=embedder, settings=settings
    )
    assert report.keyframes == len(found) and report.thumbs_refused == 0
    by_ts = dict(zip(day.times(), day.files))
    moments = store.list(limit=100)
    assert all(m.people for m in moments)  # counted, never identified
    for m in moments:
        assert m.thumb is not None
        original = _rgb(by_ts[m.ts])
        _assert_faces_unreadable(original, _rgb(store.folder / m.thumb), found[by_ts[m.ts].name])
    out = tmp_path / "export"
    assert export(store, out) == len(found)
    for line in (out / "memories.jsonl").read_text().splitlines():
        rec = json.loads(line)
        original = _rgb(by_ts[rec["ts"]])
        _assert_faces_unreadable(original, _rgb(out / rec["image"]), found[by_ts[rec["ts"]].name])
    # nothing else was written: the only images on disk are the blurred thumbnails
    on_disk = {p for p in store.thumbs.rglob("*") if p.is_file()}
    assert on_disk == {store.folder / m.thumb for m in moments if m.thumb}
    store.close()


class _BrokenDetector:
    """A face detector that fails the way a damaged model does: on every frame."""

    def detect(self, image: np.ndarray) -> list:
        raise RuntimeError("cascade could not be evaluated")


def test_failing_face_detector_stores_no_image_and_says_why(
    settings, face_day, embedder, observer
) -> None:
    folder, found = face_day
    day = PhotoDaySource(folder, start=1.7e9, gap_minutes=20)
    broken = FaceBlur(step=_BrokenDetector())  # type: ignore[arg-type]
    store = MemoryStore(settings.resolved_folder())
    from oculi.memory.perceive import VisionObserver

    report = ingest_frames(
        store,
        day,
        observer=VisionObserver(broken),
        blurrer=broken,
        embedder=embedder,
        settings=settings,
    )
    # the text memories are kept; no image, and the reason is recorded with each moment
    assert report.keyframes == len(found) and report.thumbs_refused == len(found)
    assert all("face blurring failed" in r for r in report.withheld_reasons)
    moments = store.list(limit=100)
    assert len(moments) == len(found)
    for m in moments:
        assert m.thumb is None and m.people is None
        assert m.image_note and "face blurring failed" in m.image_note
    assert not any(p.is_file() for p in store.thumbs.rglob("*"))
    store.close()


def test_missing_face_model_stops_ingest_before_anything_is_stored(
    settings, face_day, embedder, monkeypatch
) -> None:
    folder, _found = face_day

    def missing(*_a, **_k):
        raise PerceptionError(
            "the face model is missing", hint="reinstall opencv", code="model_load_failed"
        )

    monkeypatch.setattr("oculi.memory.perceive.FaceStep", missing)
    svc = MemoryService(settings, embedder=embedder)
    with pytest.raises(OculiError) as err:
        svc.ingest(PhotoDaySource(folder, start=1.7e9))
    assert err.value.code == "model_load_failed" and err.value.hint
    assert svc.store().count() == 0
    assert not any(p.is_file() for p in svc.store().thumbs.rglob("*"))
    svc.close()


def test_forget_deletes_from_every_store(settings, embedder, faces, photos) -> None:
    """After forget: no row, no FTS entry or term, no vector (sqlite-vec or the in-memory
    copy of this and of another open connection), no thumbnail, and recall cannot find it."""
    store = MemoryStore(settings.resolved_folder())
    other = MemoryStore(settings.resolved_folder())  # e.g. the server, with its index loaded
    secret = "zanzibar door code 4711"
    thumb = save_thumbnail(_rgb(photos[0]), faces, store.folder, 1.7e9)
    m = NewMoment(kind="sight", ts=1.7e9, ocr_text=secret, thumb=thumb)
    qv = embedder.embed([m.body()])[0]
    mid = store.add(m, qv)
    for i in range(30):
        n = NewMoment(kind="speech", ts=1.7e9 + 60 * (i + 1), transcript=f"unrelated note {i}")
        store.add(n, embedder.embed([n.body()])[0])
    assert other.vec_search(qv, -1e18, 1e18, 1)[0][0] == mid  # loaded before the forget
    assert thumb and (store.folder / thumb).is_file()

    assert controls.forget_ids(store, [mid]) == 1

    sql = store.conn.execute
    assert sql("SELECT count(*) FROM moments WHERE id = ?", (mid,)).fetchone()[0] == 0
    assert sql("SELECT count(*) FROM moments_fts WHERE rowid = ?", (mid,)).fetchone()[0] == 0
    assert sql("SELECT rowid FROM moments_fts WHERE moments_fts MATCH 'zanzibar'").fetchall() == []
    sql("CREATE VIRTUAL TABLE temp.terms USING fts5vocab(main, moments_fts, 'row')")
    assert sql("SELECT term FROM temp.terms WHERE term IN ('zanzibar', '4711')").fetchall() == []
    assert sql("SELECT count(*) FROM moments_bin WHERE rowid = ?", (mid,)).fetchone()[0] == 0
    for s in (store, other):
        assert mid not in [i for i, _ in s.vec_search(qv, -1e18, 1e18, 50, use_vec0=True)]
        assert mid not in [i for i, _ in s.vec_search(qv, -1e18, 1e18, 50)]
        assert mid not in s.index.ids  # the in-memory copy dropped it too
    assert not (store.folder / thumb).exists()
    assert not any(p.is_file() for p in store.thumbs.rglob("*"))
    from datetime import datetime

    found = retrieve(other, embedder, "what was the zanzibar door code?", datetime.now())
    assert all(h.moment.id != mid and "4711" not in h.moment.ocr_text for h in found.hits)
    raw = b"".join(f.read_bytes() for f in store.folder.glob("memory.db*"))
    assert b"zanzibar" not in raw  # overwritten (secure_delete), not left in free pages
    other.close()
    store.close()
