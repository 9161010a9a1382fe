"""Disk and memory checks that turn 'it crashed half way' into 'you need N MB more'."""

from __future__ import annotations

import shutil
from pathlib import Path

import psutil

from oculi.errors import InsufficientResources

MB = 1024 * 1024
DISK_MARGIN = 64 * MB


def free_disk(folder: Path) -> int:
    probe = folder
    while not probe.exists():
        probe = probe.parent
    return shutil.disk_usage(probe).free


def require_disk(folder: Path, needed_bytes: int, what: str) -> None:
    free = free_disk(folder)
    if free < needed_bytes + DISK_MARGIN:
        raise InsufficientResources(
            f"not enough disk for {what}: needs {needed_bytes / MB:,.0f} MB "
            f"(+{DISK_MARGIN // MB} MB margin), {free / MB:,.0f} MB free in {folder}",
            hint="free some space, or point OCULI_HOME at a larger disk",
        )


def require_ram(needed_mb: int, what: str) -> None:
    available = psutil.virtual_memory().available
    if needed_mb and available < needed_mb * MB:
        raise InsufficientResources(
            f"not enough memory for {what}: needs about {needed_mb:,} MB, "
            f"{available / MB:,.0f} MB available",
            hint="close other programs or choose a smaller model (`oculi models list`)",
        )
