"""Shared terminal output: one console, byte progress bars, and error rendering."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from oculi.errors import OculiError

console = Console()
err_console = Console(stderr=True)


@contextmanager
def byte_progress(description: str) -> Iterator[ByteProgress]:
    """A progress bar per file, fed with (file name, bytes done, total) callbacks."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=False,
    ) as progress:
        yield ByteProgress(progress, description)


class ByteProgress:
    def __init__(self, progress: Progress, prefix: str) -> None:
        self._progress = progress
        self._prefix = prefix
        self._tasks: dict[str, int] = {}

    def __call__(self, name: str, advance: int, total: int) -> None:
        if name not in self._tasks:
            self._tasks[name] = self._progress.add_task(f"{self._prefix} {name}", total=total)
        self._progress.advance(self._tasks[name], advance)


def print_error(exc: OculiError) -> None:
    err_console.print(f"[bold red]error[/] [dim]({exc.code})[/]: {exc.message}", highlight=False, soft_wrap=True)
    if exc.hint:
        err_console.print(f"[yellow]hint[/]: {exc.hint}", highlight=False, soft_wrap=True)
