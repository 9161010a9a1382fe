"""Ingest with the real models: keyframes, observations, face-safe thumbnails, speech,
resume after a stop, and bad input (corrupt video, short audio, missing files)."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from oculi.memory.errors import MemoryInputError
from oculi.memory.ingest import ingest_frames, ingest_utterances
from oculi.memory.keyframes import KeyframeSelector
from oculi.memory.protocols import TimedFrame
from oculi.memory.service import MemoryService
from oculi.memory.settings import MemorySettings
from oculi.memory.sources import AriaVrsSource, PhotoDaySource, VideoFileSource
from oculi.memory.thumbnails import save_thumbnail
from oculi.memory.transcripts import read_aria_speech


def _service(
    settings: MemorySettings, embedder, observer, faces, transcriber=None
) -> MemoryService:
    return MemoryService(
        settings, embedder=embedder, observer=observer, blurrer=faces, transcriber=transcriber
    )


def test_keyframes_are_scene_changes_not_every_frame(slideshow: Path) -> None:
    source = VideoFileSource(slideshow, sample_fps=2.0, start=0.0)
    selector = KeyframeSelector()
    frames = list(source.frames())
    keys = [f.ts for f in frames if selector.offer(f)]
    assert len(frames) >= 70
    # 8 photos, 5 s each: about one keyframe per photo, each near a photo boundary
    assert 6 <= len(keys) <= 10, keys
    assert sum(1 for t in keys if (t % 5.0) < 1.0 or (t % 5.0) > 4.5) >= 6


def test_blurred_frame_waits_for_a_sharp_one() -> None:
    rng = np.random.default_rng(1)
    sharp = (rng.random((240, 320, 3)) * 255).astype(np.uint8)
    blurred = np.full_like(sharp, 128)
    sel = KeyframeSelector(max_gap_s=30)
    assert not sel.offer(TimedFrame(0.0, blurred))
    assert sel.offer(TimedFrame(0.5, sharp))


@pytest.mark.slow
def test_video_ingest_stores_ocr_people_thumbnails_and_speech(
    settings: MemorySettings, slideshow: Path, data: Path, embedder, observer, faces, transcriber
) -> None:
    svc = _service(settings, embedder, observer, faces, transcriber)
    source = VideoFileSource(slideshow, sample_fps=2.0, start=1_700_000_000.0)
    seen: list[float] = []
    # jfk.flac is 11 s, the video 40 s: audio shorter than the video is fine
    report = svc.ingest(
        source, audio=data / "speech" / "jfk.flac", progress=lambda d, t: seen.append(d)
    )
    store = svc.store()
    assert report.keyframes >= 6 and report.utterances >= 1
    assert seen and seen[-1] > 35
    sights = store.list(kind="sight", limit=100, newest_first=False)
    assert all(m.thumb and (store.folder / m.thumb).is_file() for m in sights)
    texts = " ".join(m.ocr_text for m in sights).lower()
    assert "inspiron" in texts and "repair" in texts  # real OCR of real photos
    speech = store.list(kind="speech", limit=10)
    assert "ask not what your country" in " ".join(m.transcript or "" for m in speech).lower()
    assert all(1_700_000_000 <= m.ts <= 1_700_000_011 for m in speech)
    # a second run of the same source stores nothing new
    again = svc.ingest(source, audio=data / "speech" / "jfk.flac")
    assert again.keyframes == 0 and again.utterances == 0
    assert store.count() == len(report.moment_ids)


@pytest.mark.slow
def test_stopped_ingest_resumes_where_it_stopped(
    settings, slideshow, embedder, observer, faces
) -> None:
    svc = _service(settings, embedder, observer, faces)
    source = VideoFileSource(slideshow, sample_fps=2.0, start=1_700_000_000.0)
    cancel = threading.Event()
    first = svc.ingest(
        source, cancel=cancel, progress=lambda d, t: cancel.set() if d > 17 else None
    )
    assert 2 <= first.keyframes <= 5
    second = svc.ingest(source)
    assert second.resumed_from is not None and second.resumed_from >= 1_700_000_015
    ts = [m.ts for m in svc.store().list(limit=100, newest_first=False)]
    assert len(ts) == len(set(ts)) and ts == sorted(ts)
    assert len(ts) == first.keyframes + second.keyframes >= 6
    assert ts[-1] > 1_700_000_030  # the end of the video was reached


def test_failing_face_blur_stores_no_image(tmp_path: Path, photos: list[Path]) -> None:
    class Broken:
        def blur_faces(self, rgb):
            raise RuntimeError("detector crashed")

    rgb = np.asarray(Image.open(photos[0]).convert("RGB"))
    assert save_thumbnail(rgb, Broken(), tmp_path, 1.7e9) is None
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_faces_are_blurred_in_thumbnails(tmp_path: Path, faces, photos: list[Path]) -> None:
    """Whatever the detector takes for a face in the real photos is blurred in the thumbnail."""
    from PIL import ImageOps

    for path in photos:
        rgb = np.asarray(ImageOps.exif_transpose(Image.open(path)).convert("RGB"))
        found = faces.detect(rgb)
        if found:
            break
    else:
        pytest.skip("the face detector finds no face in the shared photos")
    out = faces.blur_faces(rgb)
    x0, y0, x1, y1 = found[0].box
    before, after = rgb[y0:y1, x0:x1].astype(float), out[y0:y1, x0:x1].astype(float)
    assert np.abs(before - after).mean() > 2  # the face region changed
    mask = np.ones(rgb.shape[:2], bool)
    for f in found:
        bx0, by0, bx1, by1 = f.box
        mx, my = (bx1 - bx0) // 2, (by1 - by0) // 2
        mask[max(0, by0 - my) : by1 + my, max(0, bx0 - mx) : bx1 + mx] = False
    assert np.array_equal(rgb[mask], out[mask])  # nothing else did
    rel = save_thumbnail(rgb, faces, tmp_path, 1.7e9)
    assert rel is not None and (tmp_path / rel).is_file()


def test_corrupt_video_is_a_clear_error(tmp_path: Path, slideshow: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 1000)
    with pytest.raises(MemoryInputError) as err:
        list(VideoFileSource(bad).frames())
    assert err.value.code == "memory_bad_input"
    torn = tmp_path / "torn.mp4"
    raw = slideshow.read_bytes()
    torn.write_bytes(raw[: len(raw) // 2])  # a recording cut off mid-file
    try:
        frames = list(VideoFileSource(torn).frames())
    except MemoryInputError:
        frames = []
    assert len(frames) < 80  # either a clear error or the readable part, never a crash
    with pytest.raises(MemoryInputError):
        VideoFileSource(tmp_path / "missing.mp4")


def test_missing_audio_is_a_clear_error(settings, slideshow, embedder, observer, faces) -> None:
    svc = _service(settings, embedder, observer, faces)
    with pytest.raises(MemoryInputError):
        svc.ingest(VideoFileSource(slideshow), audio=Path("/nonexistent/audio.wav"))
    assert svc.store().count() == 0


def test_photo_day_and_unreadable_photo(
    tmp_path: Path, settings, photos, embedder, observer, faces
) -> None:
    folder = tmp_path / "day"
    folder.mkdir()
    for p in photos[:3]:
        (folder / p.name).write_bytes(p.read_bytes())
    day = PhotoDaySource(folder, start=1_700_000_000.0, gap_minutes=30)
    store = _service(settings, embedder, observer, faces).store()
    report = ingest_frames(
        store, day, observer=observer, blurrer=faces, embedder=embedder, settings=settings
    )
    assert report.keyframes == 3  # photos minutes apart: each one is a new scene
    assert [m.ts for m in store.list(newest_first=False)] == day.times()
    (folder / "zz_broken.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(MemoryInputError):
        list(PhotoDaySource(folder, start=0.0).frames())


def test_aria_recording_and_its_transcript(settings, data, embedder, observer, faces) -> None:
    pytest.importorskip("projectaria_tools", reason="projectaria-tools is not installed")
    root = data / "aria_everyday_activities_test_data"
    source = AriaVrsSource(root / "recording.vrs", sample_fps=100.0)
    store = _service(settings, embedder, observer, faces).store()
    report = ingest_frames(
        store, source, observer=observer, blurrer=faces, embedder=embedder, settings=settings
    )
    assert report.frames_seen == 8 and report.keyframes >= 1
    talk = read_aria_speech(root / "speech.csv", lambda ns: source.wall_time(ns))
    assert [u.text for u in talk] == [
        "what is there like looking at?",
        "I'm in the masters, right now.",
    ]
    assert talk[0].start - source.start == pytest.approx(128.66 - 86.385, abs=0.05)
    ingest_utterances(store, source.key, talk, embedder)
    assert store.count() == report.keyframes + 2
