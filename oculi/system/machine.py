"""What the device can do: CPU, memory, disk, and the versions of the runtimes oculi uses."""

from __future__ import annotations

import importlib.metadata as md
import os
import platform
from dataclasses import dataclass
from pathlib import Path

import psutil

from oculi.models.resources import free_disk


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def package_version(name: str) -> str | None:
    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return None


@dataclass
class MachineFacts:
    cpu: str
    physical_cores: int
    logical_cores: int
    simd: list[str]
    ram_total_mb: int
    ram_available_mb: int
    disk_free_mb: int
    python: str
    os: str

    @classmethod
    def probe(cls, folder: Path) -> "MachineFacts":
        vm = psutil.virtual_memory()
        flags = cpu_flags()
        return cls(
            cpu=cpu_name(),
            physical_cores=psutil.cpu_count(logical=False) or os.cpu_count() or 1,
            logical_cores=psutil.cpu_count(logical=True) or os.cpu_count() or 1,
            simd=[f for f in ("avx", "avx2", "avx512f", "fma", "f16c", "neon") if f in flags],
            ram_total_mb=vm.total // 2**20,
            ram_available_mb=vm.available // 2**20,
            disk_free_mb=free_disk(folder) // 2**20,
            python=platform.python_version(),
            os=f"{platform.system()} {platform.release()} {platform.machine()}",
        )
