"""The model cache on disk, and the one entry point for listing, pulling and finding models.

Layout: `<models>/<id>/<files>` plus `<models>/<id>/manifest.json`, written last and
atomically, so a model counts as installed only after every file was verified. In-place
registry models (a runtime library that loads its own bundled weights) get only the
manifest. `<models>/local.json` registers the user's own files.
"""

from __future__ import annotations

import fcntl
import json
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from oculi.errors import ChecksumMismatch, ModelNotInstalled, OculiError
from oculi.models.assemble import (
    assemble,
    is_partial,
    remove_stale_partials,
    sha256_file,
    write_atomic,
)
from oculi.models.catalog import Catalog, ModelSpec, builtin_catalog
from oculi.models.providers import hub, local_file, registry_package
from oculi.models.resources import require_disk

MANIFEST = "manifest.json"
LOCAL_REGISTRY = "local.json"

# (file name, bytes done in this step, total bytes of the file)
Progress = Callable[[str, int, int], None]


@dataclass
class ModelStatus:
    spec: ModelSpec
    installed: bool
    detail: str
    missing_packages: list[str] = field(default_factory=list)


@dataclass
class VerifyResult:
    model_id: str
    file: str
    ok: bool
    detail: str


class ModelStore:
    def __init__(
        self,
        root: Path,
        catalog: Catalog | None = None,
        package_search_path: Sequence[str] | None = None,
    ) -> None:
        self.root = root
        self.catalog = catalog or builtin_catalog()
        # Where registry packages are looked for (default: sys.path). Tests point it at
        # a folder of packages they build.
        self.package_search_path = package_search_path

    # ------------------------------------------------------------------ lookup
    def models(self) -> list[ModelSpec]:
        return [*self.catalog.models, *self._local_models()]

    def get(self, model_id: str) -> ModelSpec:
        for m in self._local_models():
            if m.id == model_id:
                return m
        return self.catalog.get(model_id)

    def model_dir(self, spec: ModelSpec) -> Path:
        return self.root / spec.id

    def status(self, spec: ModelSpec) -> ModelStatus:
        if spec.provider == "local":
            src = Path(spec.source_path or "")
            if src.is_file() and src.stat().st_size == spec.files[0].size:
                return ModelStatus(spec, True, f"local file {src}")
            return ModelStatus(spec, False, f"local file missing or changed: {src}")
        manifest = self._read_manifest(spec)
        if manifest is not None and all(p.is_file() for p in self._file_paths(spec)):
            return ModelStatus(spec, True, "installed")
        if spec.provider == "hub":
            return ModelStatus(spec, False, f"can be pulled from the hub ({spec.repo})")
        missing = registry_package.missing_packages(spec, self.package_search_path)
        if missing:
            return ModelStatus(
                spec, False, f"{len(missing)} package(s) to install", [p.package for p in missing]
            )
        return ModelStatus(spec, False, "packages installed, not assembled yet")

    def path(self, model_id: str) -> Path:
        """The model's main file (single-file models) or its folder (multi-file models)."""
        spec = self.get(model_id)
        st = self.status(spec)
        if not st.installed:
            raise ModelNotInstalled(
                f"model '{model_id}' is not installed ({st.detail})",
                hint=f"run `oculi models pull {model_id}`",
            )
        paths = self._file_paths(spec)
        return paths[0] if len(paths) == 1 else paths[0].parent

    def _file_paths(self, spec: ModelSpec) -> list[Path]:
        if spec.provider == "local":
            return [Path(spec.source_path or "")]
        if spec.in_place:
            located = [
                registry_package.locate(f.parts[-1], self.package_search_path) for f in spec.files
            ]
            return [p if p else Path("/nonexistent") for p in located]
        return [self.model_dir(spec) / f.name for f in spec.files]

    # ------------------------------------------------------------------ pull
    def pull(
        self, model_id: str, *, install_packages: bool = True, progress: Progress | None = None
    ) -> ModelSpec:
        spec = self.get(model_id)
        if spec.provider == "local":
            return spec
        folder = self.model_dir(spec)
        folder.mkdir(parents=True, exist_ok=True)
        with self._lock(folder):
            remove_stale_partials(folder)
            if self.status(spec).installed:
                return spec
            if spec.provider == "hub":
                hashes = hub.download(spec, folder, progress)
            else:
                hashes = self._pull_registry(spec, folder, install_packages, progress)
            self._write_manifest(spec, hashes)
        return spec

    def _pull_registry(
        self, spec: ModelSpec, folder: Path, install_packages: bool, progress: Progress | None
    ) -> dict[str, str]:
        missing = registry_package.missing_packages(spec, self.package_search_path)
        installed_now = []
        if missing and install_packages:
            registry_package.install(spec, missing)
            installed_now = missing
        sources = registry_package.sources_for(spec, self.package_search_path)
        if spec.in_place:
            return {f.name: self._check_file(f.name, sources[f.name][0], f.sha256) for f in spec.files}
        require_disk(folder, spec.total_size, f"assembling {spec.id}")
        hashes = {}
        for f in spec.files:
            dest = folder / f.name
            # A file left by an earlier, interrupted pull is kept only if it verifies.
            if dest.is_file() and dest.stat().st_size == f.size and sha256_file(dest) == f.sha256:
                hashes[f.name] = f.sha256 or ""
                continue
            dest.unlink(missing_ok=True)
            cb = (lambda n, name=f.name, t=f.size: progress(name, n, t)) if progress else None
            hashes[f.name] = assemble(sources[f.name], dest, sha256=f.sha256, progress=cb)
        if installed_now:
            # oculi fetched these packages only for their bytes, which now live in the cache.
            registry_package.uninstall(installed_now)
        return hashes

    @staticmethod
    def _check_file(name: str, path: Path, expected: str | None) -> str:
        actual = sha256_file(path)
        if expected and actual != expected:
            raise ChecksumMismatch(
                f"checksum mismatch for {name} ({path}): expected {expected}, got {actual}",
                hint="reinstall the package that provides it",
            )
        return actual

    # ------------------------------------------------------------------ verify / rm / add
    def verify(
        self, model_ids: Sequence[str] | None = None, progress: Progress | None = None
    ) -> list[VerifyResult]:
        """Re-hash installed files. A mismatching assembled file is removed (never used)."""
        results: list[VerifyResult] = []
        specs = [self.get(m) for m in model_ids] if model_ids else self.models()
        for spec in specs:
            if not self.status(spec).installed:
                if model_ids:
                    results.append(VerifyResult(spec.id, "-", False, "not installed"))
                continue
            for f, path in zip(spec.files, self._file_paths(spec), strict=True):
                cb = (lambda n, name=f.name, t=f.size: progress(name, n, t)) if progress else None
                actual = sha256_file(path, cb)
                expected = f.sha256 or (self._read_manifest(spec) or {}).get("files", {}).get(f.name)
                if expected and actual != expected:
                    detail = f"checksum mismatch: expected {expected}, got {actual}"
                    if spec.provider in ("registry", "hub") and not spec.in_place:
                        path.unlink(missing_ok=True)
                        (self.model_dir(spec) / MANIFEST).unlink(missing_ok=True)
                        detail += f"; removed {path.name}, run `oculi models pull {spec.id}`"
                    results.append(VerifyResult(spec.id, f.name, False, detail))
                else:
                    results.append(VerifyResult(spec.id, f.name, True, "ok"))
        return results

    def remove(self, model_id: str) -> None:
        spec = self.get(model_id)
        if spec.provider == "local":
            self._save_local([m for m in self._local_models() if m.id != model_id])
            return
        shutil.rmtree(self.model_dir(spec), ignore_errors=True)

    def add(self, path: Path, model_id: str | None = None, task: str | None = None) -> ModelSpec:
        spec = local_file.make_spec(path, model_id, task)
        catalog_ids = {m.id for m in self.catalog.models}
        if model_id is None and spec.id in catalog_ids:
            # your own copy of a catalog model (yolox_nano.onnx beside `yolox-nano` on the hub)
            spec = spec.model_copy(update={"id": f"{spec.id}-local"})
        if spec.id in catalog_ids:
            raise OculiError(
                f"'{spec.id}' is a catalog model id", hint="choose another with --id", code="id_taken"
            )
        others = [m for m in self._local_models() if m.id != spec.id]
        self._save_local([*others, spec])
        return spec

    # ------------------------------------------------------------------ internals
    def _local_models(self) -> list[ModelSpec]:
        path = self.root / LOCAL_REGISTRY
        if not path.is_file():
            return []
        data = json.loads(path.read_text(encoding="utf-8"))
        return [ModelSpec.model_validate(m) for m in data.get("models", [])]

    def _save_local(self, models: list[ModelSpec]) -> None:
        self._atomic_json(self.root / LOCAL_REGISTRY, {"models": [m.model_dump() for m in models]})

    def _read_manifest(self, spec: ModelSpec) -> dict | None:
        path = self.model_dir(spec) / MANIFEST
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def _write_manifest(self, spec: ModelSpec, hashes: dict[str, str]) -> None:
        self._atomic_json(
            self.model_dir(spec) / MANIFEST,
            {"id": spec.id, "provider": spec.provider, "files": hashes},
        )

    @staticmethod
    def _atomic_json(path: Path, data: dict) -> None:
        write_atomic(path, json.dumps(data, indent=2).encode("utf-8"))

    @contextmanager
    def _lock(self, folder: Path, *, wait: bool = True) -> Iterator[bool]:
        """Hold the folder's pull lock; with wait=False, yield False at once if another
        process holds it (a pull is running there)."""
        with (folder / ".lock").open("w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def recover(self) -> list[Path]:
        """Remove what an interrupted pull (kill -9, power cut) left behind.

        Only folders whose lock is free are touched: a pull running in another process holds
        its folder's lock, and its temporary files are not leftovers. Nothing half-written is
        ever under a real name (see assemble.py), so deleting temporaries is all recovery needs.
        """
        removed: list[Path] = []
        if not self.root.is_dir():
            return removed
        for folder in self.root.iterdir():
            if not folder.is_dir():
                continue
            leftovers = [p for p in folder.iterdir() if is_partial(p) or p.name == ".download"]
            if not leftovers:
                continue
            with self._lock(folder, wait=False) as held:
                if not held:
                    continue
                removed += remove_stale_partials(folder)
                staging = folder / ".download"
                if staging.exists():
                    shutil.rmtree(staging, ignore_errors=True)
                    removed.append(staging)
        return removed


def default_store() -> ModelStore:
    """The user's model cache, with leftovers of any interrupted pull cleaned up first."""
    from oculi.paths import Paths

    store = ModelStore(Paths.from_env().models)
    store.recover()
    return store
