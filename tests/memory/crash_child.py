"""Child process for the kill -9 test: ingests until killed, printing each committed id.

Run as `python crash_child.py FOLDER speech|photos [PHOTO_DIR]`. An id is printed only after
`store.add` returned, i.e. after its transaction committed.
"""

from __future__ import annotations

import sys
from pathlib import Path

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


def _printed(mid: int) -> None:
    print(mid, flush=True)


def main() -> None:
    folder, mode = Path(sys.argv[1]), sys.argv[2]
    store = MemoryStore(folder)
    embedder = load_embedder()
    if mode == "speech":
        print("ready", flush=True)
        talk = (
            Utterance(
                1e9 + i, 1e9 + i + 0.5, f"note {i}: the {WORDS[i % 12]} and the {WORDS[i * 7 % 12]}"
            )
            for i in range(100_000)
        )
        ingest_utterances(store, "crash-test", talk, embedder, on_stored=_printed)
    else:
        from oculi.memory.adapters.faces import HaarFaces
        from oculi.memory.adapters.ocr import RapidOcrObserver
        from oculi.memory.sources import PhotoDaySource

        faces = HaarFaces()
        source = PhotoDaySource(Path(sys.argv[3]), start=1.7e9, gap_minutes=1)
        observer = RapidOcrObserver(faces)
        print("ready", flush=True)
        ingest_frames(
            store,
            source,
            observer=observer,
            blurrer=faces,
            embedder=embedder,
            settings=MemorySettings(folder=folder),
            on_stored=_printed,
        )
    print("done", flush=True)


if __name__ == "__main__":
    main()
