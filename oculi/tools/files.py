"""Files a tool writes or reads stay inside the folder the tool owns.

A name that reaches a tool may come from a model, and a model repeats whatever it read (a
web page, a note, an MCP result). `inside` is the one check every file-taking tool uses:
absolute paths, `..`, NUL bytes and symlinks that lead out of the folder are refused.
"""

from __future__ import annotations

from pathlib import Path, PurePath

from oculi.tools.errors import InvalidToolArguments


def inside(root: Path, name: str) -> Path:
    """`root / name`, resolved, or InvalidToolArguments if it would leave `root`."""
    if not name or "\x00" in name or PurePath(name).is_absolute() or name.startswith("~"):
        raise InvalidToolArguments(
            f"{name!r} is not a file name inside the tool's folder",
            hint="give a plain file name, without folders",
        )
    base = root.resolve()
    target = (base / name).resolve()
    if target == base or not target.is_relative_to(base):
        raise InvalidToolArguments(
            f"{name!r} leads outside the tool's folder", hint="give a plain file name, without '..'"
        )
    return target
