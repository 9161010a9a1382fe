"""kill -9 at random points while a model is assembled, 20 times: a fresh start sees either no
model or a verified one — never a corrupt file under a real name or a manifest for unverified
files — and cleans up the temporary files the dead pull left behind.

Half the kills land on an exact file-system step (open, rename, remove — chosen at random
among every step a full pull makes, so the manifest write is covered too); the others come
from outside at a random moment, usually in the middle of writing a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from oculi.models.assemble import is_partial
from oculi.models.catalog import Catalog
from oculi.models.store import MANIFEST, ModelStore
from tests.conftest import make_distribution

CHILD = Path(__file__).with_name("assemble_child.py")
MODEL = "demo-multi"


def _catalog(files: dict[str, bytes], parts: dict[str, int]) -> Catalog:
    specs = []
    for name, data in files.items():
        n = parts[name]
        stem = name.replace(".", "-")
        specs.append({
            "name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
            "parts": {"package": f"{stem}-part{{n}}", "version": "1.0",
                      "path": f"{stem.replace('-', '_')}_part{{n}}/data.bin", "count": n},
        })
    return Catalog.model_validate({"model": [{
        "id": MODEL, "task": "chat", "provider": "registry", "format": "gguf", "license": "test",
        "files": specs,
    }]})


def _install(site: Path, files: dict[str, bytes], parts: dict[str, int]) -> None:
    for name, data in files.items():
        n = parts[name]
        size = -(-len(data) // n)
        stem = name.replace(".", "-")
        for i in range(1, n + 1):
            make_distribution(site, f"{stem}-part{i}", "1.0",
                              {f"{stem.replace('-', '_')}_part{i}/data.bin": data[(i - 1) * size: i * size]})


def _run(cat_file: Path, root: Path, site: Path, kill_at: int, delay: float | None) -> str:
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), str(cat_file), str(root), str(site), str(kill_at)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
    if delay is not None:
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode in (0, -signal.SIGKILL), err
    return out.strip()


def _check_fresh_start(root: Path, catalog: Catalog, site: Path, files: dict[str, bytes]) -> bool:
    """What the next `oculi` process sees after the crash; returns whether the model counts
    as installed."""
    store = ModelStore(root, catalog=catalog, package_search_path=[str(site)])
    store.recover()
    folder = root / MODEL
    if folder.is_dir():
        known = {*files, MANIFEST, ".lock"}
        left = [p.name for p in folder.iterdir() if p.name not in known or is_partial(p)]
        assert not left, f"temporary files survived recovery: {left}"
        for name, data in files.items():  # any file under its real name is complete and right
            p = folder / name
            if p.exists():
                assert hashlib.sha256(p.read_bytes()).digest() == hashlib.sha256(data).digest(), name
        manifest = folder / MANIFEST
        if manifest.exists():
            body = json.loads(manifest.read_text())  # never half-written JSON
            assert body["files"] == {n: hashlib.sha256(d).hexdigest() for n, d in files.items()}
    installed = store.status(store.get(MODEL)).installed
    if installed:
        assert all(r.ok for r in store.verify([MODEL]))
    return installed


def test_kill_during_model_assembly_20_times(tmp_path: Path) -> None:
    rng = random.Random(8)
    files = {"model.gguf": os.urandom(6 * 2**20), "config.json": b'{"layers": 2}' * 500,
             "tokenizer.json": os.urandom(300_000)}
    parts = {"model.gguf": 3, "config.json": 1, "tokenizer.json": 2}
    site = tmp_path / "site"
    _install(site, files, parts)
    catalog = _catalog(files, parts)
    cat_file = tmp_path / "catalog.json"
    cat_file.write_text(json.dumps(catalog.model_dump(by_alias=True)))

    # a full, unkilled pull: how many file-system steps it takes, and how long
    t0 = time.monotonic()
    out = _run(cat_file, tmp_path / "probe", site, 0, None)
    full_s = time.monotonic() - t0
    total_steps = int(out.split()[-1])
    assert total_steps > 10

    root = tmp_path / "models"
    outcomes = {"installed": 0, "not installed": 0}
    for i in range(20):
        if (root / MODEL / MANIFEST).exists():
            import shutil

            shutil.rmtree(root / MODEL)  # start each round from scratch or from a crash
        if i % 2 == 0:
            _run(cat_file, root, site, rng.randint(1, total_steps), None)
        else:
            _run(cat_file, root, site, 0, rng.uniform(0.0, full_s))
        installed = _check_fresh_start(root, catalog, site, files)
        outcomes["installed" if installed else "not installed"] += 1
    assert outcomes["not installed"] >= 5, outcomes  # most kills land before the manifest

    # after all that, the next pull recovers and finishes with verified files
    store = ModelStore(root, catalog=catalog, package_search_path=[str(site)])
    store.pull(MODEL, install_packages=False)
    for name, data in files.items():
        assert (root / MODEL / name).read_bytes() == data


def test_recovery_leaves_a_running_pull_alone(tmp_path: Path) -> None:
    """A second process starting while a pull runs must not delete the pull's temporary file."""
    files = {"model.gguf": os.urandom(4 * 2**20)}
    parts = {"model.gguf": 2}
    site = tmp_path / "site"
    _install(site, files, parts)
    catalog = _catalog(files, parts)
    root = tmp_path / "models"
    folder = root / MODEL
    folder.mkdir(parents=True)
    store = ModelStore(root, catalog=catalog, package_search_path=[str(site)])
    partial = folder / "model.gguf.99999.partial"
    with store._lock(folder):
        partial.write_bytes(b"in progress")
        other = ModelStore(root, catalog=catalog, package_search_path=[str(site)])
        assert other.recover() == []
        assert partial.exists()
    assert store.recover() == [partial] and not partial.exists()
