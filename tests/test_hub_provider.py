"""The hub provider's real huggingface_hub download code, against a local hub the test serves."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from oculi.errors import ChecksumMismatch, DownloadFailed
from oculi.models.catalog import Catalog
from oculi.models.store import ModelStore

REPO_ID = "oculi-test/tiny-hub-model"
COMMIT = "a" * 40


class FakeHub:
    """Serves `/{repo}/resolve/{revision}/{file}` with the headers the real hub sends."""

    def __init__(self, files: dict[str, bytes], lie_about: str | None = None) -> None:
        self.files = files
        self.lie_about = lie_about  # advertise a wrong sha256 for this file
        self.requests: list[tuple[str, str]] = []

    def handler(self) -> type[BaseHTTPRequestHandler]:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _serve(self, body: bool) -> None:
                hub.requests.append((self.command, self.path))
                prefix = f"/{REPO_ID}/resolve/main/"
                name = self.path[len(prefix):] if self.path.startswith(prefix) else None
                data = hub.files.get(name or "")
                if data is None:
                    self.send_response(404)
                    self.send_header("X-Error-Code", "EntryNotFound")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                sha = hashlib.sha256(data).hexdigest()
                if name == hub.lie_about:
                    sha = "f" * 64
                self.send_response(200)
                self.send_header("X-Repo-Commit", COMMIT)
                self.send_header("ETag", f'"{sha}"')
                self.send_header("X-Linked-Etag", f'"{sha}"')
                self.send_header("X-Linked-Size", str(len(data)))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if body:
                    self.wfile.write(data)

            def do_HEAD(self) -> None:
                self._serve(body=False)

            def do_GET(self) -> None:
                self._serve(body=True)

        return Handler


@pytest.fixture
def hub_files() -> dict[str, bytes]:
    return {"tiny.gguf": b"GGUF" + os.urandom(300_000), "config.json": b'{"ok": true}'}


def serve(hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), hub.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("HF_ENDPOINT", url)
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    try:
        yield url
    finally:
        server.shutdown()


def hub_catalog(files: dict[str, bytes], pin_sha: str | None = None) -> Catalog:
    return Catalog.model_validate(
        {
            "model": [
                {
                    "id": "tiny-hub",
                    "task": "chat",
                    "provider": "hub",
                    "repo": REPO_ID,
                    "format": "gguf",
                    "license": "test",
                    "ram_mb": 1,
                    "files": [
                        {"name": n, "size": len(d), **({"sha256": pin_sha} if pin_sha and n == "tiny.gguf" else {})}
                        for n, d in files.items()
                    ],
                }
            ]
        }
    )


def test_hub_download_is_verified_and_installed(
    oculi_home: Path, hub_files: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = FakeHub(hub_files)
    for _ in serve(hub, monkeypatch):
        store = ModelStore(oculi_home / "models", catalog=hub_catalog(hub_files))
        store.pull("tiny-hub")
        folder = store.path("tiny-hub")
        assert (folder / "tiny.gguf").read_bytes() == hub_files["tiny.gguf"]
        assert (folder / "config.json").read_bytes() == hub_files["config.json"]
        assert not (folder / ".download").exists()
        assert ("GET", f"/{REPO_ID}/resolve/main/tiny.gguf") in hub.requests
        assert all(r.ok for r in store.verify(["tiny-hub"]))


def test_hub_file_with_wrong_hash_is_refused(
    oculi_home: Path, hub_files: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in serve(FakeHub(hub_files, lie_about="tiny.gguf"), monkeypatch):
        store = ModelStore(oculi_home / "models", catalog=hub_catalog(hub_files))
        with pytest.raises(ChecksumMismatch, match="tiny.gguf"):
            store.pull("tiny-hub")
        assert not (oculi_home / "models" / "tiny-hub" / "tiny.gguf").exists()
        assert not store.status(store.get("tiny-hub")).installed


def test_catalog_pinned_hash_wins_over_the_hub(
    oculi_home: Path, hub_files: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in serve(FakeHub(hub_files), monkeypatch):
        store = ModelStore(oculi_home / "models", catalog=hub_catalog(hub_files, pin_sha="0" * 64))
        with pytest.raises(ChecksumMismatch):
            store.pull("tiny-hub")


def test_missing_hub_file_is_a_clear_download_error(
    oculi_home: Path, hub_files: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    served = {"config.json": hub_files["config.json"]}
    for _ in serve(FakeHub(served), monkeypatch):
        store = ModelStore(oculi_home / "models", catalog=hub_catalog(hub_files))
        with pytest.raises(DownloadFailed, match="tiny.gguf"):
            store.pull("tiny-hub")


def test_unreachable_hub_says_so(oculi_home: Path, hub_files: dict[str, bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # discard port: nothing listens
    store = ModelStore(oculi_home / "models", catalog=hub_catalog(hub_files))
    with pytest.raises(DownloadFailed, match="cannot reach the model hub"):
        store.pull("tiny-hub")
