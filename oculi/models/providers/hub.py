"""Provider: the Hugging Face Hub, for users who have a network and ask for a model.

Uses huggingface_hub's own download code (resumable, honours HF_ENDPOINT, HF_TOKEN and
proxies). Each file is then checked against the catalog's sha256, or, where the catalog
has none, against the sha256 the hub advertises for the LFS object, before it is moved into
the model cache — the same atomic rule as for registry packages.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from oculi.errors import DownloadFailed
from oculi.models.assemble import assemble
from oculi.models.catalog import FileSpec, ModelSpec
from oculi.models.resources import require_disk

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


def endpoint() -> str | None:
    return os.environ.get("HF_ENDPOINT") or None


def remote_sha256(spec: ModelSpec, file: FileSpec) -> tuple[str | None, int | None]:
    """The hub's sha256 and size for a file (LFS files carry their sha256 as the ETag)."""
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    url = hf_hub_url(spec.repo or "", file.name, revision=spec.revision, endpoint=endpoint())
    try:
        meta = get_hf_file_metadata(url)
    except Exception as exc:
        raise DownloadFailed(
            f"cannot reach the model hub for {spec.repo}/{file.name}: {exc}",
            hint="check the network (or HF_ENDPOINT), or add a local copy with `oculi models add`",
        ) from exc
    etag = (meta.etag or "").strip('"').lower()
    return (etag if SHA256_RE.match(etag) else None), meta.size


def download(
    spec: ModelSpec,
    model_dir: Path,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, str]:
    """Download every file of `spec` into `model_dir`; return {file name: sha256}."""
    from huggingface_hub import hf_hub_download

    staging = model_dir / ".download"
    require_disk(model_dir, 2 * spec.total_size, f"downloading {spec.id}")
    hashes: dict[str, str] = {}
    try:
        for f in spec.files:
            expected, size = remote_sha256(spec, f)
            expected = f.sha256 or expected
            try:
                local = hf_hub_download(
                    repo_id=spec.repo or "",
                    filename=f.name,
                    revision=spec.revision,
                    local_dir=staging,
                    endpoint=endpoint(),
                )
            except Exception as exc:
                raise DownloadFailed(
                    f"download of {spec.repo}/{f.name} failed: {exc}",
                    hint="run the same pull again: finished files are kept and checked",
                ) from exc
            total = size or Path(local).stat().st_size
            cb = (lambda n, name=f.name, t=total: progress(name, n, t)) if progress else None
            hashes[f.name] = assemble([Path(local)], model_dir / f.name, sha256=expected, progress=cb)
            Path(local).unlink(missing_ok=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return hashes
