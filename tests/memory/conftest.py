"""Fixtures for memory tests: the real embedder, OCR and face models, and the shared data."""

from __future__ import annotations

from pathlib import Path

import pytest

from oculi.memory.settings import MemorySettings
from oculi.memory.store import MemoryStore

SHARED = Path(__file__).resolve().parents[3] / "shared"


def _model_or_skip(model_id: str) -> Path:
    from oculi.models.store import default_store

    store = default_store()
    if not store.status(store.get(model_id)).installed:
        pytest.skip(f"{model_id} is not installed: run `oculi models pull {model_id}`")
    return store.path(model_id)


@pytest.fixture(scope="session")
def embedder():
    from oculi.memory.embeddings import MiniLMEmbedder

    return MiniLMEmbedder(_model_or_skip("minilm-l6-v2"), threads=2)


@pytest.fixture(scope="session")
def faces():
    from oculi.memory.perceive import FaceBlur

    return FaceBlur()


@pytest.fixture(scope="session")
def observer(faces):
    from oculi.memory.perceive import VisionObserver

    return VisionObserver(faces, threads=2)


@pytest.fixture(scope="session")
def transcriber():
    from oculi.memory.speech import WhisperSegments
    from oculi.voice.settings import VoiceSettings
    from oculi.voice.stt import WhisperSTT

    settings = VoiceSettings()
    return WhisperSegments(WhisperSTT(_model_or_skip(settings.stt_model), settings))


@pytest.fixture
def data() -> Path:
    d = SHARED / "data"
    if not d.is_dir():
        pytest.skip("../shared/data is absent (it holds the real photos, speech and recording)")
    return d


@pytest.fixture
def photos(data: Path) -> list[Path]:
    return sorted((data / "vizwiz_captions" / "images").glob("*.jpg"))


@pytest.fixture
def settings(tmp_path: Path) -> MemorySettings:
    return MemorySettings(folder=tmp_path / "memory", retention_days=0)


@pytest.fixture
def store(settings: MemorySettings):
    s = MemoryStore(settings.resolved_folder())
    yield s
    s.close()


@pytest.fixture(scope="session")
def slideshow(tmp_path_factory) -> Path:
    """A 40 s video made of 8 real photos (5 s each)."""
    images = sorted((SHARED / "data" / "vizwiz_captions" / "images").glob("*.jpg"))
    if not images:
        pytest.skip("../shared/data is absent")
    from oculi.memory.synth import make_slideshow

    out = tmp_path_factory.mktemp("video") / "day.mp4"
    pick = [images[i] for i in (0, 2, 4, 15, 17, 21, 22, 24)]
    make_slideshow(pick, out, seconds_each=5.0, fps=10)
    return out
