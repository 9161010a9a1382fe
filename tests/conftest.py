"""Shared fixtures: real models from the user's model cache, isolated homes, fake packages."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from oculi.config import load_settings
from oculi.models.store import ModelStore, default_store

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
TINY = "smollm2-135m-instruct"
DEFAULT = "qwen2.5-coder-1.5b-instruct"


def _installed_or_skip(model_id: str) -> Path:
    store = default_store()
    if not store.status(store.get(model_id)).installed:
        pytest.skip(f"{model_id} is not installed: run `oculi models pull {model_id}` (make test does)")
    return store.path(model_id)


@pytest.fixture(scope="session")
def tiny_model_path() -> Path:
    return _installed_or_skip(TINY)


@pytest.fixture(scope="session")
def tiny_engine(tiny_model_path: Path):
    from oculi.llm.engine import LlamaEngine

    return LlamaEngine(tiny_model_path, threads=2, context_tokens=2048)


@pytest.fixture(scope="session")
def default_engine():
    from oculi.llm.engine import LlamaEngine

    path = _installed_or_skip(DEFAULT)
    return LlamaEngine(path, threads=load_settings().llm.threads, context_tokens=4096)


@pytest.fixture
def oculi_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty OCULI_HOME, so tests never touch the user's cache or config."""
    home = tmp_path / "oculi-home"
    monkeypatch.setenv("OCULI_HOME", str(home))
    monkeypatch.delenv("OCULI_CONFIG", raising=False)
    for key in list(os.environ):
        if key.startswith("OCULI_") and key != "OCULI_HOME":
            monkeypatch.delenv(key)
    return home


@pytest.fixture
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is absent (it holds the real photos, speech and models)")
    return SHARED


def make_distribution(site: Path, name: str, version: str, files: dict[str, bytes]) -> None:
    """Write an installed distribution (dist-info + files) the way pip leaves one."""
    norm = name.replace("-", "_")
    info = site / f"{norm}-{version}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    records = []
    for rel, data in files.items():
        p = site / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        records.append(f"{rel},,")
    (info / "RECORD").write_text("\n".join(records) + "\n")


@pytest.fixture
def fake_site(tmp_path: Path) -> Iterator[Path]:
    site = tmp_path / "site-packages"
    site.mkdir()
    yield site


def store_for(home: Path, catalog, site: Path) -> ModelStore:
    return ModelStore(home / "models", catalog=catalog, package_search_path=[str(site)])
