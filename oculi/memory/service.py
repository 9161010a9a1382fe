"""One object that builds the memory's parts from settings and runs the common jobs.

The CLI and the agent tools both go through here, so "remember a video" means the same thing
everywhere. Heavy models (OCR, faces, whisper, LLM) are built on first use only; OCR and faces come
from `oculi.vision`, Whisper from `oculi.voice` (memory only adapts them, see perceive.py and
speech.py).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from oculi.memory import controls
from oculi.memory.errors import MemoryInputError, MemoryPaused
from oculi.memory.ingest import IngestReport, Progress, ingest_frames, ingest_utterances
from oculi.memory.protocols import Embedder, FaceBlurrer, FrameSource, Observer, Transcriber
from oculi.memory.recall import RecallAnswer, Recaller
from oculi.memory.settings import MemorySettings
from oculi.memory.store import MemoryStore
from oculi.paths import Paths
from oculi.voice.settings import VoiceSettings


@dataclass
class MemoryService:
    settings: MemorySettings = field(default_factory=MemorySettings)
    paths: Paths | None = None
    embedder: Embedder | None = None
    observer: Observer | None = None
    blurrer: FaceBlurrer | None = None
    transcriber: Transcriber | None = None
    engine: Any | None = None  # a chat engine (oculi.llm.engine.LlamaEngine)
    voice: VoiceSettings | None = None  # Whisper model and language for speech (voice's own)
    _store: MemoryStore | None = None

    @property
    def folder(self) -> Path:
        return self.settings.resolved_folder(self.paths)

    def store(self) -> MemoryStore:
        """Open (once) and apply retention: expired moments never outlive an open."""
        if self._store is None:
            self._store = MemoryStore(self.folder)
            controls.expire(self._store, self.settings.retention_days)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    # -- lazily built parts ----------------------------------------------------------------
    def _embedder(self) -> Embedder:
        if self.embedder is None:
            from oculi.memory.embeddings import load_embedder

            # one sentence per call: a single thread is the faster choice (embeddings.py)
            self.embedder = load_embedder(self.settings.embed_model, threads=1)
        return self.embedder

    def _perception(self) -> tuple[Observer, FaceBlurrer]:
        if self.observer is None or self.blurrer is None:
            from oculi.memory.perceive import FaceBlur, VisionObserver

            faces = FaceBlur()
            self.blurrer = self.blurrer or faces
            self.observer = self.observer or VisionObserver(faces, threads=self.settings.threads)
        return self.observer, self.blurrer

    def _transcriber(self) -> Transcriber:
        if self.transcriber is None:
            from oculi.memory.speech import load_transcriber

            self.transcriber = load_transcriber(self.voice, threads=self.settings.threads)
        return self.transcriber

    def face_blur(self) -> FaceBlurrer:
        """The fail-closed face blur every stored image goes through (live memory uses it)."""
        return self._perception()[1]

    def sentence_embedder(self) -> Embedder:
        return self._embedder()

    # -- jobs ------------------------------------------------------------------------------
    def ingest(
        self,
        source: FrameSource,
        *,
        audio: Path | None = None,
        audio_offset: float | None = None,
        label: str = "",
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> IngestReport:
        store = self.store()
        if controls.is_paused(store):
            raise MemoryPaused(
                "memory is paused: nothing is being stored", hint="run `oculi memory resume`"
            )
        store.sweep_orphans()
        observer, blurrer = self._perception()
        report = IngestReport(source.key)
        if audio is not None:
            if not audio.is_file():
                raise MemoryInputError(
                    f"no such audio file: {audio}", hint="check the --audio path"
                )
            offset = (
                audio_offset if audio_offset is not None else float(getattr(source, "start", 0.0))
            )
            ingest_utterances(
                store,
                source.key,
                self._transcriber().transcribe(str(audio)),
                self._embedder(),
                offset=offset,
                source_label=label or audio.name,
                report=report,
            )
        return ingest_frames(
            store,
            source,
            observer=observer,
            blurrer=blurrer,
            embedder=self._embedder(),
            settings=self.settings,
            source_label=label,
            progress=progress,
            cancel=cancel,
            report=report,
        )

    def recaller(self) -> Recaller:
        return Recaller(self.store(), self._embedder(), self.settings, self.engine)

    def recall(self, question: str, now: datetime | None = None) -> RecallAnswer:
        return self.recaller().ask(question, now)
