"""Child process for the kill -9 test: ingests until killed, reporting each committed id.

`run` reports an id only after `store.add` returned, i.e. after its transaction committed.
The test starts it through a fork server that has already imported this module (and with it
numpy, SQLite, onnxruntime, OpenCV), so each of the 20 children costs a fork and a model load
instead of a fresh interpreter: the kills stay real and at random points, the test gets cheap.
Also runnable by hand: `python crash_child.py FOLDER speech|photos [PHOTO_DIR]` prints the ids.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import onnxruntime  # noqa: F401 - imported here so the fork server preloads it
import tokenizers  # noqa: F401

from oculi.memory.embeddings import load_embedder
from oculi.memory.ingest import ingest_frames, ingest_utterances
from oculi.memory.protocols import Utterance
from oculi.memory.settings import MemorySettings
from oculi.memory.store import MemoryStore

WORDS = [
    "keys",
    "wallet",
    "train",
    "platform",
    "coffee",
    "meeting",
    "Friday",
    "doctor",
    "invoice",
    "laptop",
    "window",
    "garden",
]


def run(folder: Path, mode: str, photo_dir: Path | None, report: Callable[[object], None]) -> None:
    """Ingest into `folder` until done (or killed); report 'ready', each id, then 'done'."""
    store = MemoryStore(folder)
    embedder = load_embedder()
    stored = lambda mid: report(mid)
    if mode == "speech":
        report("ready")
        talk = (
            Utterance(
                1e9 + i, 1e9 + i + 0.5, f"note {i}: the {WORDS[i % 12]} and the {WORDS[i * 7 % 12]}"
            )
            for i in range(100_000)
        )
        ingest_utterances(store, "crash-test", talk, embedder, on_stored=stored)
    else:
        from oculi.memory.perceive import FaceBlur, VisionObserver
        from oculi.memory.sources import PhotoDaySource

        assert photo_dir is not None
        faces = FaceBlur()
        source = PhotoDaySource(photo_dir, start=1.7e9, gap_minutes=1)
        observer = VisionObserver(faces)
        report("ready")
        ingest_frames(
            store,
            source,
            observer=observer,
            blurrer=faces,
            embedder=embedder,
            settings=MemorySettings(folder=folder),
            on_stored=stored,
        )
    report("done")


def child(folder: str, mode: str, photo_dir: str | None, conn) -> None:
    """Entry point in a forked child: reports through a multiprocessing pipe."""
    run(Path(folder), mode, Path(photo_dir) if photo_dir else None, conn.send)


if __name__ == "__main__":
    run(
        Path(sys.argv[1]),
        sys.argv[2],
        Path(sys.argv[3]) if len(sys.argv) > 3 else None,
        lambda x: print(x, flush=True),
    )
